using System.Globalization;
using System.Runtime.InteropServices;

namespace ObjStore.Storage;

/// <summary>Another process holds the data folder.</summary>
public sealed class DataFolderInUseException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// An exclusive lock on a data folder (<c>DIR/.lock</c>, holding the owner's process id), held while a process uses
/// it: two processes writing one folder's shards and catalogue would each treat the other's files as garbage. On
/// Unix the lock is flock(2), taken here explicitly rather than through .NET's emulation of FileShare.None, which
/// the objstore binary turns off (System.IO.DisableFileLocking: it cost every shard file opened two flock calls);
/// it goes with the process, so a killed process leaves no stale lock behind.
/// </summary>
public sealed partial class DataFolderLock : IDisposable
{
    public const string FileName = ".lock";

    /// <summary>What Windows reports when another process holds the lock (ERROR_SHARING_VIOLATION).</summary>
    private const int SharingViolation = 32;

    /// <summary>EWOULDBLOCK from flock(LOCK_NB), which .NET reports on Unix.</summary>
    private const int WouldBlock = 11;

    private const int LockExclusive = 2, LockNonBlocking = 4;
    private readonly FileStream _file;

    private DataFolderLock(FileStream file) => _file = file;

    public static DataFolderLock Acquire(string folder)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, FileName);
        FileStream file;
        try
        {
            file = OperatingSystem.IsWindows()
                ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                : LockedOnUnix(path);
        }
        catch (IOException e) when ((e.HResult & 0xFFFF) is SharingViolation or WouldBlock)
        {
            string owner = TryReadOwner(path);
            throw new DataFolderInUseException(
                $"The data folder {Path.GetFullPath(folder)} is in use by another objstore process{owner}; stop it first or choose another folder.", e);
        }
        file.SetLength(0);
        using (var writer = new StreamWriter(file, leaveOpen: true))
        {
            writer.Write(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        }
        file.Flush();
        return new DataFolderLock(file);
    }

    private static FileStream LockedOnUnix(string path)
    {
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        if (Flock((int)file.SafeFileHandle.DangerousGetHandle(), LockExclusive | LockNonBlocking) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            file.Dispose();
            throw new IOException($"flock failed (errno {errno}).", errno);
        }
        return file;
    }

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    private static string TryReadOwner(string path)
    {
        try
        {
            using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var text = new StreamReader(reader);
            return text.ReadToEnd().Trim() is { Length: > 0 } pid ? $" (pid {pid})" : "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    public void Dispose() => _file.Dispose();
}
