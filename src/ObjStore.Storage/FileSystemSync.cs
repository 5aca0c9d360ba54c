using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using ObjStore.Core;

namespace ObjStore.Storage;

/// <summary>
/// Group commit for one filesystem: a caller that needs everything it wrote (file data, renames, new directory
/// entries) durable awaits <see cref="SyncAsync"/>, and all callers that arrive while one syncfs(2) runs share the
/// next. A PUT then costs one shared filesystem sync instead of a file fsync plus a directory fsync per shard, and
/// concurrent PUTs (and the k+m stores of dev mode, which share a disk) coalesce into the same sync.
/// Linux only (syncfs reports writeback errors since 5.8); elsewhere stores fsync each file and directory.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "One per mounted filesystem, kept for the process's lifetime.")]
internal sealed partial class FileSystemSync : IShardSync
{
    private static readonly Dictionary<string, FileSystemSync> ByMount = new(StringComparer.Ordinal);
    private static readonly Lock ByMountLock = new();

    private readonly SafeFileHandle _handle;
    private readonly Lock _lock = new();
    private bool _busy;
    private TaskCompletionSource? _next;

    private FileSystemSync(string path)
    {
        int fd = Open(path, 0);
        if (fd < 0)
        {
            throw new IOException($"open({path}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        _handle = new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// The shared instance for the filesystem holding the folder <paramref name="path"/>; null where syncfs does not
    /// exist. The first store of a filesystem lends its folder to the sync: syncfs flushes whatever filesystem the
    /// descriptor is on, and a store's own folder is one the store can open (a mount's root may not be).
    /// </summary>
    public static FileSystemSync? For(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        string mount = MountPointOf(path);
        lock (ByMountLock)
        {
            if (!ByMount.TryGetValue(mount, out var sync))
            {
                ByMount[mount] = sync = new FileSystemSync(path);
            }
            return sync;
        }
    }

    /// <summary>
    /// The mount point holding <paramref name="path"/> once every symbolic link in it is resolved (a data folder that
    /// is a link to another disk is on that disk): the longest mounted root that contains it. (DriveInfo's Name on
    /// Linux is whatever path it was given, so it cannot tell that two folders share a filesystem.)
    /// </summary>
    internal static string MountPointOf(string path)
    {
        string full = Path.TrimEndingDirectorySeparator(RealPath(path) ?? Path.GetFullPath(path));
        string best = "/";
        foreach (var drive in DriveInfo.GetDrives())
        {
            string root = Path.TrimEndingDirectorySeparator(drive.Name);
            bool contains = full == root || full.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);
            if (contains && root.Length > best.Length)
            {
                best = root;
            }
        }
        return best;
    }

    /// <summary>realpath(3): the canonical path with every link resolved; null when the path does not exist.</summary>
    private static string? RealPath(string path)
    {
        nint resolved = ResolvePath(path, 0);
        if (resolved == 0)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    /// <summary>Completes once a sync that started after this call has finished.</summary>
    public Task SyncAsync()
    {
        lock (_lock)
        {
            if (_busy)
            {
                // The running sync may have started before the caller's writes: wait for the next one.
                _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _next.Task;
            }
            _busy = true;
        }
        var now = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Run(now);
        return now.Task;
    }

    private void Run(TaskCompletionSource completion) => _ = Task.Run(() =>
    {
        bool ok = SyncFs(_handle) == 0;
        int errno = ok ? 0 : Marshal.GetLastPInvokeError();
        TaskCompletionSource? next;
        lock (_lock)
        {
            next = _next;
            _next = null;
            _busy = next is not null;
        }
        if (ok)
        {
            completion.SetResult();
        }
        else
        {
            completion.SetException(new IOException($"syncfs failed: errno {errno}"));
        }
        if (next is not null)
        {
            Run(next);
        }
    });

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in this project for two trivial calls.
    [DllImport("libc", EntryPoint = "open", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern nint ResolvePath(string path, nint resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(nint pointer);

    [DllImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static extern int SyncFs(SafeFileHandle fd);
#pragma warning restore SYSLIB1054
}
