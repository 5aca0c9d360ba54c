using System.Collections.Concurrent;
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
    private static readonly ConcurrentDictionary<string, FileSystemSync> ByMount = new(StringComparer.Ordinal);

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

    /// <summary>The shared instance for the filesystem holding <paramref name="path"/>; null where syncfs does not exist.</summary>
    public static FileSystemSync? For(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        string mount = MountPointOf(path);
        return ByMount.GetOrAdd(mount, _ => new FileSystemSync(mount));
    }

    /// <summary>
    /// The mount point holding <paramref name="path"/>: the longest mounted root that contains it. (DriveInfo's Name
    /// on Linux is whatever path it was given, so it cannot tell that two folders share a filesystem.)
    /// </summary>
    internal static string MountPointOf(string path)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
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

    [DllImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static extern int SyncFs(SafeFileHandle fd);
#pragma warning restore SYSLIB1054
}
