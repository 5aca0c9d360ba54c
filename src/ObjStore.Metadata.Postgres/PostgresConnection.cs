using System.Globalization;
using Npgsql;

namespace ObjStore.Metadata.Postgres;

/// <summary>How the catalogue setting names a PostgreSQL database: an Npgsql connection string or a libpq-style URL.</summary>
public static class PostgresConnection
{
    /// <summary>
    /// True when <paramref name="value"/> names PostgreSQL: a <c>postgres://</c> or <c>postgresql://</c> URL, or a
    /// connection string with a Host (<c>Host=db;Database=objstore;Username=objstore</c>).
    /// </summary>
    public static bool Names(string value) =>
        value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || value.Contains("host=", StringComparison.OrdinalIgnoreCase) || value.Contains("server=", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// An Npgsql connection string for <paramref name="value"/>: a URL <c>postgres://user:password@host:port/database?sslmode=require</c>
    /// (user, password, port, database and the query optional; query keys are Npgsql's or libpq's names) is turned
    /// into one; a connection string is checked and passed on.
    /// </summary>
    /// <exception cref="ArgumentException">Not a URL or connection string Npgsql understands.</exception>
    public static string Normalize(string value)
    {
        NpgsqlConnectionStringBuilder builder;
        if (value.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql") || uri.Host.Length == 0)
            {
                throw new ArgumentException($"'{Redacted(value)}' is not a PostgreSQL URL (postgres://user@host:port/database).");
            }
            builder = new NpgsqlConnectionStringBuilder { Host = uri.Host };
            if (uri.Port > 0)
            {
                builder.Port = uri.Port;
            }
            if (uri.UserInfo.Length > 0)
            {
                string[] user = uri.UserInfo.Split(':', 2);
                builder.Username = Uri.UnescapeDataString(user[0]);
                if (user.Length == 2)
                {
                    builder.Password = Uri.UnescapeDataString(user[1]);
                }
            }
            string database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
            if (database.Length > 0)
            {
                builder.Database = database;
            }
            foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] kv = pair.Split('=', 2);
                string name = Uri.UnescapeDataString(kv[0]);
                string setting = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
                try
                {
                    builder[LibpqNames.GetValueOrDefault(name, name)] = setting;
                }
                catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
                {
                    throw new ArgumentException($"'{name}={setting}' in the PostgreSQL URL: {e.Message}", e);
                }
            }
        }
        else
        {
            try
            {
                builder = new NpgsqlConnectionStringBuilder(value);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
            {
                throw new ArgumentException($"Not a PostgreSQL connection string: {e.Message}", e);
            }
        }
        return builder.ConnectionString;
    }

    /// <summary>
    /// A pool over <paramref name="value"/>. Statements the catalogue runs again and again (listing seeks, commits)
    /// are prepared automatically, and a connection attempt gives up after a few seconds unless the setting says
    /// otherwise, so an unreachable database fails requests promptly (503) rather than piling them up.
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(string value)
    {
        var builder = new NpgsqlConnectionStringBuilder(Normalize(value));
        if (!value.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 64;
        }
        if (!value.Contains("timeout", StringComparison.OrdinalIgnoreCase))
        {
            builder.Timeout = 5;
        }
        builder.ApplicationName ??= "objstore";
        return NpgsqlDataSource.Create(builder);
    }

    /// <summary>Where a connection goes, for messages: host, port and database, never the password.</summary>
    public static string Describe(string value)
    {
        var builder = new NpgsqlConnectionStringBuilder(Normalize(value));
        return string.Create(CultureInfo.InvariantCulture, $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}");
    }

    private static string Redacted(string url) => System.Text.RegularExpressions.Regex.Replace(url, "://([^:@/]*):[^@/]*@", "://$1:***@");

    /// <summary>libpq's URL parameter names that Npgsql spells differently.</summary>
    private static readonly Dictionary<string, string> LibpqNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["connect_timeout"] = "Timeout",
        ["application_name"] = "Application Name",
        ["sslrootcert"] = "Root Certificate",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
        ["target_session_attrs"] = "Target Session Attributes",
    };
}
