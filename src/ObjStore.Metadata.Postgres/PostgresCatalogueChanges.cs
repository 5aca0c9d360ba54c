using Npgsql;

namespace ObjStore.Metadata.Postgres;

/// <summary>
/// Changes other gateways made, heard over one connection that LISTENs on <see cref="Channel"/> (writers NOTIFY in
/// their transactions: <see cref="PostgresDatabase.TransactAsync{T}(CatalogueChange, Func{NpgsqlConnection, NpgsqlTransaction, T})"/>).
/// A notification sent while no connection listens is lost, so each time listening starts (again) followers hear
/// <see cref="CatalogueChange.Everything"/>; a connection that stays silent is checked every <see cref="IdleCheck"/>, so a
/// dead one (a restarted or partitioned server, a terminated backend) is noticed within about that long.
/// </summary>
internal sealed class PostgresCatalogueChanges(NpgsqlDataSource dataSource, TimeProvider clock) : CatalogueChanges
{
    public const string Channel = "objstore_catalogue";

    /// <summary>How long the listening connection may be silent before a query checks it is alive.</summary>
    public static readonly TimeSpan IdleCheck = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100), LastRetry = TimeSpan.FromSeconds(5);

    public override async Task FollowAsync(Action<Exception> interrupted, CancellationToken cancellationToken)
    {
        var retry = FirstRetry;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, e) => Raise(CatalogueChange.Parse(e.Payload));
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }
                Raise(CatalogueChange.Everything); // what changed while nobody here listened
                retry = FirstRetry;
                while (true)
                {
                    if (!await connection.WaitAsync(IdleCheck, cancellationToken))
                    {
                        await using var check = new NpgsqlCommand("SELECT 1", connection) { CommandTimeout = (int)IdleCheck.TotalSeconds };
                        await check.ExecuteScalarAsync(cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                interrupted(e);
                try
                {
                    await Task.Delay(retry, clock, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
            }
        }
    }
}
