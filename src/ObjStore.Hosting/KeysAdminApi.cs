using Microsoft.AspNetCore.Http;
using ObjStore.Core.Jobs;
using ObjStore.Kms;
using ObjStore.Metadata;

namespace ObjStore.Hosting;

/// <summary>
/// The admin API's keys (root only, signed like every admin request):
/// <code>
/// GET  /kms/keys               the built-in key provider's keys (ids and creation times; never key material)
/// POST /kms/keys?id=ID         a new key for SSE-KMS; 201
/// POST /kms/rotate             a new master key (kept beside the old one), then a kms-rotate job re-sealing
///                              everything under it; 201 with the job. With the master key in configuration, the
///                              operator sets the new key (and the old as previous) and this queues the job only.
/// </code>
/// </summary>
public sealed class KeysAdminApi(BuiltInKeyProvider provider, MasterKeyRing ring, string? keyFile, IJobCatalogue jobs) : IDisposable
{
    /// <summary>One rotation at a time: two at once would each archive the key they read and lose the one between.</summary>
    private readonly SemaphoreSlim _rotation = new(1, 1);

    public void Dispose() => _rotation.Dispose();

    public static bool Handles(string route) => route.StartsWith("/kms/", StringComparison.Ordinal);

    public async Task HandleAsync(HttpContext context, string route, Func<string, string> query)
    {
        switch (context.Request.Method, route)
        {
            case ("GET", "/kms/keys"):
                await context.Response.WriteAsJsonAsync((await provider.ListAsync()).Select(k => new { id = k.KeyId, created = k.Created }));
                return;
            case ("POST", "/kms/keys"):
                string id = query("id");
                bool added;
                try
                {
                    added = await provider.AddAsync(id); // the provider alone says what a valid id is
                }
                catch (ArgumentException e)
                {
                    await AdminApi.ErrorAsync(context, 400, e.Message);
                    return;
                }
                if (!added)
                {
                    await AdminApi.ErrorAsync(context, 409, $"key {id} exists");
                    return;
                }
                context.Response.StatusCode = 201;
                await context.Response.WriteAsJsonAsync(new { id });
                return;
            case ("POST", "/kms/rotate"):
                string? previous = null;
                await _rotation.WaitAsync(context.RequestAborted);
                try
                {
                    if (keyFile is not null)
                    {
                        previous = $"{ring.Current.Id:x8}";
                        ring.Rotate(MasterKeys.Rotate(keyFile, ring.Current));
                    }
                    else if (ring.Previous.Count == 0)
                    {
                        await AdminApi.ErrorAsync(context, 400,
                            "the master key comes from configuration: set the new key in ObjStore:MasterKey (or OBJSTORE_MASTER_KEY) and the old one " +
                            "in ObjStore:PreviousMasterKeys, restart, then run this again to re-seal everything under the new key");
                        return;
                    }
                }
                catch (InvalidOperationException e)
                {
                    await AdminApi.ErrorAsync(context, 409, e.Message);
                    return;
                }
                finally
                {
                    _rotation.Release();
                }
                long jobId = await jobs.EnqueueAsync(JobKinds.KeyRotation, "*", priority: 20);
                context.Response.StatusCode = 201;
                await context.Response.WriteAsJsonAsync(new { masterKey = $"{ring.Current.Id:x8}", previousMasterKey = previous, job = await jobs.GetAsync(jobId) });
                return;
            default:
                await AdminApi.ErrorAsync(context, 404, "no such admin resource");
                return;
        }
    }
}
