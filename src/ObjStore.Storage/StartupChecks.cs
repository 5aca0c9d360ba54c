using System.Net;
using System.Net.Sockets;

namespace ObjStore.Storage;

/// <summary>
/// The store (or node) cannot start as configured. The message is one line for the operator, naming the setting and
/// what to change; the command line prints it without a stack trace and exits 2.
/// </summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// What a server checks about its surroundings before it writes anything: a start that fails on a busy port or an
/// unusable folder must not leave a half-made data folder (with a fresh digest key and master key) behind, which the
/// next, corrected start would then adopt.
/// </summary>
public static class StartupChecks
{
    /// <summary>
    /// The data folder is a folder (or can be made as one) and this process may write into it. Only looks: the first
    /// missing ancestor is where the folder would be created, and the nearest existing one must be a writable folder.
    /// </summary>
    public static void DataFolderIsUsable(string folder, string setting)
    {
        string full = Path.GetFullPath(folder);
        if (File.Exists(full))
        {
            throw new StartupException($"{setting} {folder} is a file, not a folder.");
        }
        string? existing = full;
        while (existing is not null && !Directory.Exists(existing))
        {
            if (File.Exists(existing))
            {
                throw new StartupException($"{setting} {folder} cannot be made: {existing} is a file, not a folder.");
            }
            existing = Path.GetDirectoryName(existing);
        }
        if (existing is not null && !IsWritable(existing))
        {
            throw new StartupException(existing == full
                ? $"{setting} {folder} is not writable by this process."
                : $"{setting} {folder} cannot be made: {existing} is not writable by this process.");
        }
    }

    /// <summary>
    /// Nobody listens on the address's port yet. Binding and releasing it is the only portable way to know; a port
    /// of 0 (the system chooses) and host names other than localhost are left to the server itself.
    /// </summary>
    public static void PortIsFree(string url, string setting)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Port <= 0)
        {
            return;
        }
        string host = uri.DnsSafeHost;
        IPAddress? address = host is "localhost" ? IPAddress.Loopback
            : host is "*" or "+" or "0.0.0.0" ? IPAddress.Any
            : IPAddress.TryParse(host, out var parsed) ? parsed : null;
        if (address is not null)
        {
            PortIsFree(address, uri.Port, setting, url);
        }
    }

    /// <summary>The TCP port on that address is free (see <see cref="PortIsFree(string, string)"/>).</summary>
    public static void PortIsFree(IPAddress address, int port, string setting, string shown)
    {
        try
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            // Bound with .NET's socket defaults, as Kestrel binds, so the probe and the server agree on "in use".
            probe.Bind(new IPEndPoint(address, port));
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse)
        {
            throw new StartupException($"{setting} {shown}: port {port} is already in use (another objstore, or another server?); choose another port.", e);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AccessDenied)
        {
            throw new StartupException($"{setting} {shown}: cannot listen there ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Whether a file can be created in the folder, asked of the kernel with a zero-length file deleted as it is
    /// closed: mode bits do not tell (root passes them, a read-only mount or /proc refuses everyone).
    /// </summary>
    private static bool IsWritable(string folder)
    {
        try
        {
            string probe = Path.Combine(folder, $".objstore-write-probe-{Environment.ProcessId}");
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }
            return true;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }
}
