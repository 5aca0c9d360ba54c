using System.Runtime.InteropServices;

namespace ObjStore.Storage;

/// <summary>
/// fsync of a directory, so a rename that committed a shard is itself durable. .NET has no API for it; on Linux and
/// macOS it is open(O_RDONLY) + fsync + close. Elsewhere it is skipped (NTFS journals the rename).
/// </summary>
public static partial class DirectorySync
{
    public static void Fsync(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }
        int fd = Open(directory, 0);
        if (fd < 0)
        {
            throw new IOException($"open({directory}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        try
        {
            if (FsyncFd(fd) != 0)
            {
                throw new IOException($"fsync({directory}) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in this project for three trivial calls.
    [DllImport("libc", EntryPoint = "open", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FsyncFd(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
#pragma warning restore SYSLIB1054
}
