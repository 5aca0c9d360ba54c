using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ObjStore.Integration.Tests;

/// <summary>
/// `objstore dev` as a separate process on a free loopback port over a given data folder, for tests that kill it
/// (SIGKILL: no shutdown, no flush) and start it again on the same folder. Settings are ObjStore:* keys, passed as
/// environment variables.
/// </summary>
internal sealed class DevProcess : IDisposable
{
    private readonly Process _process;

    private DevProcess(Process process, string url) => (_process, Url) = (process, url);

    public string Url { get; }

    public static async Task<DevProcess> StartAsync(string dataDir, IReadOnlyDictionary<string, string> settings, params string[] arguments)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        string url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        listener.Stop();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { RepoPaths.Objstore, "dev", "--listen", url, "--data", dataDir, "--access-key", "it", "--secret-key", "integration-secret" }.Concat(arguments))
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in settings)
        {
            start.Environment["ObjStore__" + key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = new DevProcess(process, url);
        using var http = new HttpClient();
        for (int i = 0; i < 600; i++)
        {
            try
            {
                if ((await http.GetAsync(url + "/_objstore/health/ready")).IsSuccessStatusCode)
                {
                    return started;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        started.Dispose();
        throw new TimeoutException("objstore dev did not start");
    }

    /// <summary>SIGKILL, and waits for the process to be gone.</summary>
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
