using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ObjStore.Integration.Tests;

/// <summary>A logger provider that keeps every entry a host writes, to assert on what operators would read.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    public sealed record Entry(string Category, LogLevel Level, EventId Id, string Message, Exception? Exception);

    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => [.. _entries];

    /// <summary>Listens to <paramref name="server"/>'s logs from now on (loggers made before are updated too).</summary>
    public static LogCapture On(DevServer server)
    {
        var capture = new LogCapture();
        server.Services.GetRequiredService<ILoggerFactory>().AddProvider(capture);
        return capture;
    }

    public IReadOnlyList<Entry> In(string category) => [.. _entries.Where(e => e.Category == category)];

    /// <summary>
    /// The entries of <paramref name="category"/> once there are at least <paramref name="count"/> (or after 5 s): a
    /// request's access log line is written when its handler returns, which can be a moment after the client has its
    /// whole answer.
    /// </summary>
    public async Task<IReadOnlyList<Entry>> InAsync(string category, int count)
    {
        for (int i = 0; i < 250 && In(category).Count < count; i++)
        {
            await Task.Delay(20);
        }
        return In(category);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture._entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}
