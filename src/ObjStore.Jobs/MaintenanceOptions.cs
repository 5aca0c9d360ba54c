using ObjStore.Core.Jobs;

namespace ObjStore.Jobs;

/// <summary>Settings of background maintenance: rates, lease, cadence.</summary>
public sealed class MaintenanceOptions
{
    /// <summary>Scrub reads at most this many bytes a second (0: unlimited).</summary>
    public long ScrubBytesPerSecond { get; set; } = 64L << 20;

    /// <summary>Scrub reads at most this many blocks a second (0: unlimited): small objects' blocks are tiny.</summary>
    public long ScrubOpsPerSecond { get; set; } = 1000;

    /// <summary>Heal, drain and rebalance write at most this many bytes a second (0: unlimited): a ceiling over the adaptive pace.</summary>
    public long HealBytesPerSecond { get; set; }

    /// <summary>Heal, drain and rebalance read and write at most this many blocks a second (0: unlimited): a ceiling.</summary>
    public long HealOpsPerSecond { get; set; }

    /// <summary>
    /// Heal, drain and rebalance pace themselves by the clients' requests: each block waits until no request has been
    /// in flight for <see cref="HealQuietPeriod"/>, at most <see cref="HealMaxYield"/>; full speed while the store is
    /// idle. Off: only the fixed ceilings above apply (none when they are 0: set them when turning this off).
    /// </summary>
    public bool HealYieldsToRequests { get; set; } = true;

    /// <summary>Layouts a heal rebuilds at once.</summary>
    public int HealParallelism { get; set; } = 2;

    /// <summary>How long the clients' requests must have paused before a heal block runs.</summary>
    public TimeSpan HealQuietPeriod { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>The longest a heal block waits for the requests to pause (waiting blocks take turns).</summary>
    public TimeSpan HealMaxYield { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The least share of the time heal, drain and rebalance get under constant load: a wait that ran out is followed
    /// by a burst without waits (0.05: 2.6 ms after each 50 ms wait), so a repair always ends, however busy the store.
    /// </summary>
    public double HealMinShare { get; set; } = 0.05;

    /// <summary>A claimed job's lease; renewed while it runs, so a dead worker's job is free again after this long.</summary>
    public TimeSpan JobLease { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan JobPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Shards younger than this are never collected, however unreferenced (a write may be in flight).</summary>
    public TimeSpan GcGrace { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan GcInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>One full scrub pass is started this often.</summary>
    public TimeSpan ScrubPeriod { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the catalogue is backed up into the store itself (system bucket _objstore).</summary>
    public TimeSpan BackupInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Catalogue backups kept; older ones are deleted.</summary>
    public int BackupsKept { get; set; } = 8;

    /// <summary>Finished jobs stay listed (and their results readable) this long, then are deleted.</summary>
    public TimeSpan JobHistory { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A worker that has not asked for work for this long is taken for dead: its queued jobs go to others.</summary>
    public TimeSpan WorkerTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often each bucket with lifecycle rules gets a lifecycle pass. S3 applies rules once a day; an hourly pass
    /// acts on an object within the hour after it falls due (due times are midnights UTC).
    /// </summary>
    public TimeSpan LifecycleInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A lifecycle pass reads a page of versions or expires one at most this often a second (0: unlimited).</summary>
    public long LifecycleOpsPerSecond { get; set; } = 1000;

    /// <summary>
    /// A TEST SETTING: the length of a lifecycle "day" (rules' Days, rounded up to the next day boundary). One real day
    /// unless a test shortens it so that rules fire in seconds; never change it on a store that holds data you keep.
    /// </summary>
    public TimeSpan LifecycleDayLength { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often known degraded shards are looked for and a heal queued.</summary>
    public TimeSpan AutoHealInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The rate limit of a scrub's reads.</summary>
    public IoBudget ScrubBudget(TimeProvider clock) => new(ScrubBytesPerSecond, ScrubOpsPerSecond, clock);

    /// <summary>The rate limit of a lifecycle pass's page reads and expiries.</summary>
    public IoBudget LifecycleBudget(TimeProvider clock) => new(0, LifecycleOpsPerSecond, clock);

    /// <summary>The pace of a heal's, drain's or rebalance's reads and writes: yielding to <paramref name="requests"/>, under the fixed ceilings.</summary>
    public IoBudget HealBudget(TimeProvider clock, ForegroundActivity requests) =>
        new(HealBytesPerSecond, HealOpsPerSecond, clock,
            HealYieldsToRequests ? ForegroundYield.WithShare(requests, HealQuietPeriod, HealMaxYield, HealMinShare) : null);
}
