using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using ObjStore.Cli.Commands;
using ObjStore.Storage;

namespace ObjStore.Cli;

/// <summary>
/// The command tree on System.CommandLine: help for every command (`objstore dev --help`), `--version`, validation of
/// numbers and sizes while parsing, typo suggestions, and one rule for every mistake, of the command line or of the
/// start-up it asks for: one line on stderr, `objstore: ...`, and exit status 2.
/// </summary>
internal static class CommandLine
{
    /// <summary>Exit status of a command line or configuration the program cannot use.</summary>
    public const int UsageError = 2;

    /// <summary>
    /// The host logs a start that failed with the exception's stack trace before rethrowing it; the command line
    /// tells a start-up mistake in one line itself, and a bug's exception still reaches the runtime with its trace.
    /// </summary>
    public const string HostFailureLogLevel = "Logging:LogLevel:Microsoft.Extensions.Hosting.Internal.Host";

    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parsed = root.Parse(args);
        try
        {
            if (parsed.Action is ParseErrorAction)
            {
                return await FailAsync(Describe(parsed));
            }
            // Signals stay with the hosts (graceful shutdown); exceptions come here, to be told in one line.
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (Exception e) when (StartupMistake(e) is { } message)
        {
            return await FailAsync(message);
        }
        finally
        {
            await Console.Out.FlushAsync();
        }
    }

    /// <summary>
    /// The one-line message of an exception that is the user's to fix (a value, a busy port, a folder, the
    /// configuration file, the master key), or null for a bug, which keeps its stack trace.
    /// </summary>
    internal static string? StartupMistake(Exception e) => e switch
    {
        OptionException or StartupException or Kms.MasterKeyMismatchException or DataFolderInUseException or Metadata.CatalogueRefusedException => e.Message,
        // A malformed appsettings.json: the configuration loader names the file, its inner exception the line.
        InvalidDataException { InnerException: { } inner } when e.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase)
            => $"{e.Message.TrimEnd('.')}: {inner.Message}",
        // Kestrel's bind failure, when the port was taken between the check and the start.
        IOException { InnerException: Microsoft.AspNetCore.Connections.AddressInUseException } => e.Message,
        _ => null,
    };

    private static async Task<int> FailAsync(string message)
    {
        await Console.Error.WriteLineAsync($"objstore: {message}");
        return UsageError;
    }

    /// <summary>The first parse error as one line, an unknown word with the nearest name the command knows.</summary>
    private static string Describe(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        string help = $" (see objstore {CommandPath(parsed.CommandResult)}--help)";
        // An option's or argument's own complaint first: "--ec --data x" leaves "x" unmatched because --ec took
        // "--data" for its value, and "--ec needs a value" is what went wrong.
        var error = parsed.Errors.FirstOrDefault(e => e.SymbolResult is OptionResult or ArgumentResult);
        if (error is null && parsed.UnmatchedTokens is [var unknown, ..])
        {
            return UnknownWord(unknown, command) + help;
        }
        error ??= parsed.Errors[0];
        return error.SymbolResult switch
        {
            // Given without its value; a required option that is absent has no identifier token, and its own message.
            OptionResult { Tokens.Count: 0, IdentifierToken: { } given } option when option.Option.Arity.MinimumNumberOfValues > 0
                => $"{given.Value} needs a value",
            CommandResult { Command.Subcommands.Count: > 0 } missing when missing.Command.Action is null
                => $"objstore {CommandPath(missing)}needs a command: {string.Join(", ", missing.Command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}{help}",
            _ => error.Message,
        };
    }

    private static string UnknownWord(string word, Command command)
    {
        var names = word.StartsWith('-')
            ? command.Options.Concat(Ancestors(command).SelectMany(p => p.Options.Where(o => o.Recursive))).Select(o => o.Name)
            : command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
        string? nearest = names.Select(n => (Name: n, Distance: Distance(word, n))).Where(c => c.Distance <= Math.Max(2, word.Length / 3))
            .OrderBy(c => c.Distance).Select(c => c.Name).FirstOrDefault();
        string kind = word.StartsWith('-') ? "option" : "command or argument";
        return $"unknown {kind} '{word}'" + (nearest is null ? "" : $"; did you mean {nearest}?");
    }

    /// <summary>Every command above this one: admin's recursive options also count under `admin kms key add`.</summary>
    private static IEnumerable<Command> Ancestors(Command command) =>
        command.Parents.OfType<Command>().SelectMany(parent => Ancestors(parent).Prepend(parent));

    private static string CommandPath(CommandResult? result)
    {
        var words = new List<string>();
        for (SymbolResult? r = result; r is CommandResult { Parent: not null } c; r = r.Parent)
        {
            words.Insert(0, c.Command.Name);
        }
        return words.Count == 0 ? "" : string.Join(' ', words) + " ";
    }

    /// <summary>Edit distance (insertions, deletions, substitutions, adjacent swaps) for the typo suggestions.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }

    /// <summary>The whole command tree; each leaf hands its <see cref="Options"/> to the command class that runs it.</summary>
    internal static RootCommand Build()
    {
        var root = new RootCommand("objstore: an S3-compatible, erasure-coded object store.");
        root.SetAction(parsed =>
        {
            // Bare `objstore` shows what there is, and is still a mistake for a script that meant something.
            new HelpAction().Invoke(parsed);
            return UsageError;
        });
        // This assembly's version, not the entry assembly's (a test host's when the tests run the command line).
        root.Options.OfType<VersionOption>().Single().Action = new PrintVersion();
        var help = new Command("help", "Show help and usage information.") { Hidden = true };
        help.SetAction(_ => root.Parse(["--help"]).Invoke());
        root.Add(help);
        root.Add(Dev());
        root.Add(Node());
        root.Add(Gateway());
        root.Add(Admin());
        root.Add(Restore());
        root.Add(MigrateCatalogue());
        root.Add(Bench());
        return root;
    }

    private static Command Dev()
    {
        var dev = new Command("dev", "The whole store in one process: k+m local folders as shard stores, S3 on one port.")
        {
            Text("--data", "Data folder: the catalogue and one folder per shard store [default: ./data]", "DIR"),
            Text("--listen", "S3 endpoint address [default: http://127.0.0.1:9000]", "URL"),
            Text("--ec", "Erasure layout, data+parity shards [default: 4+2]", "K+M"),
            Text("--access-key", "Root access key [default: objstore]", "KEY"),
            Text("--secret-key", "Root secret key, at least 8 characters [default: objstore-dev-secret]", "SECRET"),
            Size("--stripe-size", "Bytes of object data per stripe, split into K shards: 1MiB, 256KiB, 1048576 [default: 1MiB]"),
            WholeNumber("--write-quorum", "Shards a write must commit, from K to K+M [default: K+1 when M > 0]"),
            Text("--tls-cert", "PEM certificate: the S3 endpoint serves HTTPS (--listen https://...)", "FILE"),
            Text("--tls-key", "PEM private key of --tls-cert (when the certificate file does not hold it)", "FILE"),
        };
        dev.SetAction((parsed, _) => DevCommand.RunAsync(Options.From(parsed)));
        return dev;
    }

    private static Command Node()
    {
        var node = new Command("node", "One storage node: its shards over authenticated HTTP, for a gateway.")
        {
            Required(Text("--data", "Folder of this node's shards", "DIR")),
            Text("--listen", "Address of the node's HTTP API [default: http://127.0.0.1:9100]", "URL"),
            Required(Text("--node-id", "This node's id, as the gateway's cluster file names it", "ID")),
            Text("--cluster-secret", "Secret shared with the gateway and every node, at least 16 characters [env: OBJSTORE_CLUSTER_SECRET]", "SECRET"),
            WholeNumber("--read-port", "Port of the sendfile shard read server, not --listen's [default: 0, any free port]"),
            Text("--gateway", "Gateway URL: the node also scrubs its own disk when the gateway's scheduler asks [env: OBJSTORE_GATEWAY]", "URL"),
            Size("--scrub-rate", "Most bytes a second a scrub reads, e.g. 64MiB [default: 64MiB]"),
            WholeNumber("--scrub-ops", "Most blocks a second a scrub reads [default: 1000]"),
            Text("--tls-cert", "PEM certificate: the node serves HTTPS only (and no sendfile read port)", "FILE"),
            Text("--tls-key", "PEM private key of --tls-cert", "FILE"),
        };
        node.SetAction((parsed, _) => NodeCommand.RunAsync(Options.From(parsed)));
        return node;
    }

    private static Command Gateway()
    {
        var gateway = new Command("gateway", "The S3 endpoint over storage nodes (see deploy/cluster.json).")
        {
            Text("--config", "Cluster file: the ObjStore settings, Nodes included", "FILE.json"),
            Text("--listen", "S3 endpoint address, over the file's Listen", "URL"),
            Text("--tls-cert", "PEM certificate: the S3 endpoint serves HTTPS (--listen https://...)", "FILE"),
            Text("--tls-key", "PEM private key of --tls-cert (when the certificate file does not hold it)", "FILE"),
        };
        gateway.SetAction((parsed, _) => GatewayCommand.RunAsync(Options.From(parsed)));
        return gateway;
    }

    private static Command Restore()
    {
        var restore = new Command("restore-catalogue", "Put the newest catalogue backup kept in the store back in place (server stopped).")
        {
            Text("--data", "Data folder of a dev store", "DIR"),
            Text("--ec", "Erasure layout of that dev store [default: 4+2]", "K+M"),
            Text("--config", "Cluster file of a gateway", "FILE.json"),
            Text("--to", "Where to write the catalogue [default: where the store reads it]", "PATH"),
            Flag("--force", "Replace an existing catalogue"),
        };
        restore.SetAction((parsed, _) => RestoreCommand.RunAsync(Options.From(parsed)));
        return restore;
    }

    private static Command MigrateCatalogue()
    {
        var migrate = new Command("migrate-catalogue", "Copy the SQLite catalogue into PostgreSQL and verify it, for several gateways (store stopped).")
        {
            Required(Text("--to", "The PostgreSQL catalogue: an empty database, or one this command was interrupted filling", "postgres://USER@HOST:PORT/DB")),
            Text("--data", "Data folder of a dev store (its catalogue.db)", "DIR"),
            Text("--config", "Cluster file of a gateway on SQLite", "FILE.json"),
            Text("--from", "The SQLite catalogue file itself", "PATH"),
            WholeNumber("--batch-size", "Rows a COPY commits at once (an interruption resumes after the last) [default: 10000]"),
            Flag("--verify-only", "Compare the two catalogues again, copying nothing"),
            Flag("--restart", "Empty a half-migrated target and copy from the start"),
        };
        migrate.SetAction((parsed, cancellation) => MigrateCatalogueCommand.RunAsync(Options.From(parsed), cancellation));
        return migrate;
    }

    private static Command Admin()
    {
        var admin = new Command("admin", "Maintenance of a running store over its signed admin API.");
        foreach (var option in new Option[]
        {
            Text("--endpoint", "Store endpoint [env: OBJSTORE_ENDPOINT; default: http://127.0.0.1:9000]", "URL"),
            Text("--access-key", "Access key [env: OBJSTORE_ACCESS_KEY; default: objstore]", "KEY"),
            Text("--secret-key", "Secret key [env: OBJSTORE_SECRET_KEY; default: objstore-dev-secret]", "SECRET"),
            Text("--region", "Region the store signs with [env: OBJSTORE_REGION; default: us-east-1]", "REGION"),
            Flag("--json", "Print JSON, for scripts"),
        })
        {
            option.Recursive = true;
            admin.Add(option);
        }
        admin.Add(AdminLeaf("info", "Summary: version, uptime, nodes, disks, buckets, objects, bytes used and raw, heal backlog, jobs."));
        admin.Add(AdminLeaf("status", "Stores, workers, degraded shards and job counts."));
        admin.Add(AdminLeaf("jobs", "Every job with its state and progress."));
        admin.Add(AdminJob("heal", "Rebuild missing or bad shards (default: everything).", ("TARGET", 0, 1, "BUCKET[/PREFIX] or store:NODE")));
        admin.Add(AdminJob("scrub", "Read and check every shard (default: every store).", ("NODE", 0, 1, "only this store or node")));
        admin.Add(AdminJob("gc", "Delete shards no object refers to."));
        admin.Add(AdminJob("rebuild-metadata", "Rebuild the catalogue from the shard footers."));
        admin.Add(AdminJob("backup", "Back the catalogue up into the store itself."));
        admin.Add(AdminJob("drain", "Move every shard off a store or node.", ("NODE", 1, 1, "the store or node to empty")));
        admin.Add(AdminJob("rebalance", "Move shards to where placement puts them now."));
        admin.Add(AdminJob("lifecycle", "Run a bucket's lifecycle rules now.", ("BUCKET", 1, 1, "the bucket")));

        var user = new Command("user", "Users (root key only).");
        user.Add(AdminLeaf("add", "A new user, with no rights until it has a policy.", ["user", "add"], ("NAME", 1, 1, "user name")));
        user.Add(AdminLeaf("list", "Users, their state, policy and keys.", ["user", "list"]));
        user.Add(AdminLeaf("disable", "Refuse the user's requests.", ["user", "disable"], ("NAME", 1, 1, "user name")));
        user.Add(AdminLeaf("enable", "Accept the user's requests again.", ["user", "enable"], ("NAME", 1, 1, "user name")));
        user.Add(AdminLeaf("remove", "Remove the user and its keys (its buckets stay).", ["user", "remove"], ("NAME", 1, 1, "user name")));
        admin.Add(user);

        var key = new Command("key", "Access keys of users (root key only).");
        key.Add(AdminLeaf("add", "A new access key for the user; the secret is shown once.", ["key", "add"], ("USER", 1, 1, "user name")));
        key.Add(AdminLeaf("list", "Access keys, of one user or all.", ["key", "list"], ("USER", 0, 1, "user name")));
        key.Add(AdminLeaf("remove", "Remove an access key (checked to be USER's when given).", ["key", "remove"], ("[USER] ACCESSKEY", 1, 2, "the key, after its user if given")));
        admin.Add(key);

        var policy = new Command("policy", "Identity policies of users (root key only).");
        var set = AdminLeaf("set", "Set a user's policy from a file, or the everyday read-write or read-only one.", ["policy", "set"],
            ("USER FILE.json", 1, 2, "user name, then the policy file unless --readwrite or --readonly"));
        set.Add(Text("--readwrite", "Read and write objects under this bucket or prefix", "BUCKET[/PREFIX]"));
        set.Add(Text("--readonly", "Read objects under this bucket or prefix", "BUCKET[/PREFIX]"));
        policy.Add(set);
        policy.Add(AdminLeaf("show", "Print a user's policy.", ["policy", "show"], ("USER", 1, 1, "user name")));
        policy.Add(AdminLeaf("remove", "Remove a user's policy: it may do nothing.", ["policy", "remove"], ("USER", 1, 1, "user name")));
        admin.Add(policy);

        var kms = new Command("kms", "SSE-KMS keys of the built-in key provider, and the master key.");
        var kmsKey = new Command("key", "SSE-KMS keys.");
        kmsKey.Add(AdminLeaf("add", "A new SSE-KMS key.", ["kms", "key", "add"], ("ID", 1, 1, "key id")));
        kmsKey.Add(AdminLeaf("list", "SSE-KMS keys.", ["kms", "key", "list"]));
        kms.Add(kmsKey);
        var rotate = AdminLeaf("rotate", "A new master key, and a job re-sealing every key under it.", ["kms", "rotate"]);
        rotate.Add(Flag("--wait", "Wait for the re-sealing job, with a progress bar; exit 1 unless it succeeds"));
        kms.Add(rotate);
        admin.Add(kms);

        var compression = new Command("compression", "zstd compression of a bucket's new objects (off by default).");
        var compressionSet = AdminLeaf("set", "Compress the bucket's new objects.", ["compression", "set"], ("BUCKET", 1, 1, "the bucket"));
        compressionSet.Add(WholeNumber("--level", "zstd level, 1 (fastest) to 19 [default: 1]"));
        compressionSet.Add(Text("--include", "Only these, comma-separated: .log,text/*,application/json", "PATTERNS"));
        compressionSet.Add(Text("--exclude", "Never these, comma-separated", "PATTERNS"));
        compression.Add(compressionSet);
        compression.Add(AdminLeaf("show", "Print the bucket's compression settings.", ["compression", "show"], ("BUCKET", 1, 1, "the bucket")));
        compression.Add(AdminLeaf("off", "Store the bucket's new objects uncompressed.", ["compression", "off"], ("BUCKET", 1, 1, "the bucket")));
        admin.Add(compression);
        return admin;
    }

    /// <summary>An admin job verb: its optional target and --wait.</summary>
    private static Command AdminJob(string verb, string description, params (string Name, int Min, int Max, string Help)[] arguments)
    {
        var command = AdminLeaf(verb, description, [verb], arguments);
        command.Add(Flag("--wait", "Wait until the job ends, with a progress bar; exit 1 unless it succeeded"));
        return command;
    }

    private static Command AdminLeaf(string verb, string description, params (string Name, int Min, int Max, string Help)[] arguments) =>
        AdminLeaf(verb, description, [verb], arguments);

    /// <summary>
    /// A leaf of `objstore admin`; <paramref name="path"/> is its words after `admin` (`kms key add`), whose first is the
    /// noun <see cref="AdminCommand"/> dispatches on and the rest lead the positional arguments, as they always did.
    /// </summary>
    private static Command AdminLeaf(string verb, string description, string[] path, params (string Name, int Min, int Max, string Help)[] arguments)
    {
        var command = new Command(verb, description);
        foreach (var (name, min, max, help) in arguments)
        {
            command.Add(Words(name, help, min, max));
        }
        command.SetAction((parsed, _) => AdminCommand.RunAsync(path[0], Options.From(parsed, path[1..])));
        return command;
    }

    private static Command Bench()
    {
        var bench = new Command("bench", "Benchmarks: the codec, any S3 endpoint, the catalogue, lifecycle, listing.");
        var codec = new Command("codec", "Erasure codec throughput, one thread, cache-hot.")
        {
            Text("--format", "json (lines) or table [default: json]", "FORMAT"),
            Number("--seconds", "Seconds per measurement [default: 0.4]"),
            Text("--simd", "Instruction set to use, at most what the CPU has [default: the best]", "LEVEL"),
        };
        codec.SetAction(parsed => CodecBench.Run(Options.From(parsed)));
        bench.Add(codec);

        var s3 = new Command("s3", "Load generator for any S3 endpoint (or plain HTTP with --no-sign).")
        {
            Text("--endpoint", "S3 endpoint [env: OBJSTORE_ENDPOINT]", "URL"),
            Text("--access-key", "Access key [env: OBJSTORE_ACCESS_KEY]", "KEY"),
            Text("--secret-key", "Secret key [env: OBJSTORE_SECRET_KEY]", "SECRET"),
            Text("--region", "Signing region [default: us-east-1]", "REGION"),
            Text("--bucket", "Bucket, made if missing [default: objstore-bench]", "BUCKET"),
            Text("--op", "put, get, stat, delete, list or mixed [default: put]", "OP"),
            Text("--size", "Object size or range: 4KiB, 1KiB-1MiB [default: 4KiB]", "SIZE"),
            WholeNumber("--concurrency", "Clients at once [default: 8]"),
            Text("--duration", "Run this long: 30s, 2m", "TIME"),
            WholeNumber("--objects", "Run this many operations instead of a duration"),
            Text("--mix", "Operations of --op mixed, in percent [default: get=45,stat=30,put=15,delete=10]", "MIX"),
            Flag("--verify", "Check every GET's bytes"),
            Flag("--keep", "Leave the objects and bucket in place"),
            Flag("--versioning", "Turn versioning on in the bucket"),
            Flag("--no-sign", "Plain HTTP requests, no signature"),
            WholeNumber("--seed", "Seed of keys and payloads [default: 1]"),
            Text("--json", "Also write the report as JSON", "FILE"),
            Text("--sse", "Server-side encryption: AES256 or aws:kms", "SSE"),
            Text("--content", "Payload: random or text [default: random]", "KIND"),
        };
        s3.SetAction((parsed, _) => S3BenchCommand.RunAsync(Options.From(parsed)));
        bench.Add(s3);

        var compare = new Command("compare", "Ratios of report B to report A.") { Words("A.json B.json", "two reports of bench s3 --json", 2, 2) };
        compare.SetAction(parsed => S3BenchCommand.Compare(Options.From(parsed)));
        bench.Add(compare);

        var catalogue = new Command("catalogue", "Listing cost as a bucket's versions grow (10^4 to 10^6).")
        {
            WholeNumber("--scale", "Divide the large datasets by this [default: 1]"),
        };
        catalogue.SetAction((parsed, _) => CatalogueBench.RunAsync(Options.From(parsed)));
        bench.Add(catalogue);

        var lifecycle = new Command("lifecycle", "A lifecycle pass over N objects, 1% due: run time, GET p99.")
        {
            WholeNumber("--objects", "Objects in the bucket [default: 1000000]"),
        };
        lifecycle.SetAction((parsed, _) => LifecycleBench.RunAsync(Options.From(parsed)));
        bench.Add(lifecycle);

        var list = new Command("list", "Listing page p50/p99 over N synthetic keys, on SQLite and/or PostgreSQL, through S3.")
        {
            Text("--keys", "Keys per bucket, comma-separated sizes compared with the first [default: 1000000]", "N[,N...]"),
            Text("--catalogue", "Catalogues to list from, each holding every size: sqlite, postgres or both [default: sqlite]", "sqlite,postgres"),
            Text("--postgres", "PostgreSQL server for --catalogue postgres (an admin's connection string or URL); the bench creates and drops databases of its own on it", "SERVER"),
            WholeNumber("--pages", "Pages timed per listing [default: 200]"),
            WholeNumber("--seed", "Seed of the markers [default: 1]"),
            Text("--json", "Also write the results as JSON", "FILE"),
        };
        list.SetAction((parsed, _) => ListingBenchCommand.RunAsync(Options.From(parsed)));
        bench.Add(list);

        var migrate = new Command("migrate", "migrate-catalogue over N synthetic objects: copy and verify rows/s, against a direct COPY of the same rows.")
        {
            Required(Text("--postgres", "PostgreSQL server (an admin's connection string or URL); the bench creates and drops two databases on it", "SERVER")),
            WholeNumber("--keys", "Objects in the catalogue [default: 100000]"),
            Text("--json", "Also write the results as JSON", "FILE"),
        };
        migrate.SetAction((parsed, _) => MigrateBenchCommand.RunAsync(Options.From(parsed)));
        bench.Add(migrate);
        return bench;
    }

    private static string? LastToken(OptionResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;

    private static Option<string> Text(string name, string description, string valueName)
    {
        var option = new Option<string>(name) { Description = description, HelpName = valueName };
        RefuseOptionAsValue(option);
        return option;
    }

    /// <summary>
    /// The parser gives an option the next word as its value even when that word is another option ("--ec
    /// --write-quorum 5"); no value of ours starts with "--", so such a value means the user's was left out.
    /// </summary>
    private static void RefuseOptionAsValue(Option<string> option) =>
        option.Validators.Add(result =>
        {
            if (LastToken(result) is { } text && text.StartsWith("--", StringComparison.Ordinal))
            {
                result.AddError($"{option.Name} needs a value");
            }
        });

    private static Option<string> Required(Option<string> option)
    {
        option.Required = true;
        return option;
    }

    /// <summary>A flag takes no value, so a word after it is an argument rather than silently its value.</summary>
    private static Option<bool> Flag(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.Zero };

    private static Option<string> WholeNumber(string name, string description)
    {
        var option = new Option<string>(name) { Description = description, HelpName = "N" };
        RefuseOptionAsValue(option);
        option.Validators.Add(result =>
        {
            if (LastToken(result) is { } text && !text.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            {
                result.AddError($"{name} expects a whole number, got '{text}'");
            }
        });
        return option;
    }

    private static Option<string> Number(string name, string description)
    {
        var option = new Option<string>(name) { Description = description, HelpName = "N" };
        RefuseOptionAsValue(option);
        option.Validators.Add(result =>
        {
            if (LastToken(result) is { } text && !text.StartsWith("--", StringComparison.Ordinal) && !double.TryParse(text, CultureInfo.InvariantCulture, out _))
            {
                result.AddError($"{name} expects a number, got '{text}'");
            }
        });
        return option;
    }

    /// <summary>A size in bytes, with the units bench's --size takes (1MiB, 64KiB, 1MB, 1048576).</summary>
    private static Option<string> Size(string name, string description)
    {
        var option = new Option<string>(name) { Description = description, HelpName = "SIZE" };
        RefuseOptionAsValue(option);
        option.Validators.Add(result =>
        {
            if (LastToken(result) is not { } text || text.StartsWith("--", StringComparison.Ordinal))
            {
                return;
            }
            try
            {
                _ = ObjStore.Bench.SizeRange.ParseBytes(text);
            }
            catch (FormatException e)
            {
                result.AddError($"{name} expects a size such as 1MiB, 64KiB or 1048576: {e.Message}");
            }
        });
        return option;
    }

    /// <summary>
    /// Positional words. An unknown option would otherwise be taken for one (`admin scrub --wiat` scrubbing a node
    /// named "--wiat"), so words that look like options are refused with a suggestion.
    /// </summary>
    private static Argument Words(string name, string description, int min, int max)
    {
        // One word is a string: the parser does not turn a single token into an array of at most one.
        Argument argument = max == 1
            ? new Argument<string>(name) { Description = description, Arity = new ArgumentArity(min, max) }
            : new Argument<string[]>(name) { Description = description, Arity = new ArgumentArity(min, max) };
        argument.Validators.Add(result =>
        {
            if (result.Tokens.FirstOrDefault(t => t.Value.StartsWith("--", StringComparison.Ordinal)) is { } token
                && result.Parent is CommandResult command)
            {
                result.AddError(UnknownWord(token.Value, command.Command) + $" (see objstore {CommandPath(command)}--help)");
            }
        });
        return argument;
    }

    /// <summary>`objstore --version`: the informational version, which the SDK ends with the git commit built.</summary>
    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public static string Version => typeof(CommandLine).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;

        public override int Invoke(ParseResult parseResult)
        {
            Console.Out.WriteLine(Version);
            return 0;
        }
    }
}
