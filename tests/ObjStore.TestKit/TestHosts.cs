using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace ObjStore.TestKit;

/// <summary>What every in-process server of the tests needs: where it listens, and stopping it with its folder.</summary>
public static class TestHosts
{
    /// <summary>The address a started host listens on (tests bind port 0).</summary>
    public static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Stops and disposes <paramref name="app"/>, then deletes its folder.</summary>
    public static async Task StopAndDeleteAsync(WebApplication app, string folder)
    {
        await app.StopAsync();
        await app.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }
}
