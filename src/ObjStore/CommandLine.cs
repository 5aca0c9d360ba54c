using ObjStore.Cli.Commands;

namespace ObjStore.Cli;

/// <summary>Parses the sub-command and hands the rest of the arguments to it.</summary>
internal static class CommandLine
{
    private const string Usage = """
        objstore: an S3-compatible, erasure-coded object store

        usage:
          objstore dev [--data DIR] [--listen URL] [--ec K+M] [--access-key K] [--secret-key S] [--stripe-size BYTES]
                                                           the whole store in one process (default ./data, 127.0.0.1:9000, 4+2)
          objstore node --data DIR --listen URL --node-id ID --cluster-secret S [--read-port N] [--gateway URL]
                 [--scrub-rate 64MiB] [--scrub-ops 1000] [--tls-cert FILE.pem --tls-key FILE.pem]
                                                           one storage node (shards over authenticated HTTP); with
                                                           --gateway it also scrubs its own disk when the scheduler asks;
                                                           with --tls-cert it serves HTTPS only (no sendfile read port)
          objstore gateway --config cluster.json [--listen URL]
                                                           the S3 endpoint over storage nodes (see deploy/cluster.json)
          objstore admin status|jobs|heal [BUCKET[/PREFIX]|store:NODE]|scrub [NODE]|gc|rebuild-metadata|backup|drain NODE|rebalance|lifecycle BUCKET
                 [--wait] [--json] [--endpoint URL] [--access-key K] [--secret-key S] [--region R]
                                                           maintenance of a running store (OBJSTORE_ENDPOINT/ACCESS_KEY/SECRET_KEY)
          objstore admin user add|list|disable|enable|remove NAME | key add USER | key list [USER] | key remove [USER] ACCESSKEY
                 | policy set USER (FILE.json | --readwrite BUCKET[/PREFIX] | --readonly BUCKET[/PREFIX]) | policy show|remove USER
                                                           users, their access keys and identity policies (root key only)
          objstore admin kms key add ID | kms key list | kms rotate [--wait]
                                                           SSE-KMS keys; a new master key, every key re-sealed under it
          objstore admin compression set BUCKET [--level 1] [--include .log,text/*] [--exclude PATTERNS] | compression show|off BUCKET
                                                           zstd compression of a bucket's new objects (off by default)
          objstore restore-catalogue (--data DIR [--ec K+M] | --config cluster.json) [--to PATH] [--force]
                                                           put the newest catalogue backup back (server stopped)
          objstore bench codec [--format json|table] [--seconds S]   erasure codec throughput, one thread
          objstore bench s3 --endpoint URL --access-key K --secret-key S [--bucket B]
                 --op put|get|stat|delete|list|mixed --size 4KiB|1KiB-1MiB --concurrency N (--duration 30s | --objects N)
                 [--mix get=45,stat=30,put=15,delete=10] [--verify] [--keep] [--versioning] [--no-sign] [--seed N] [--json FILE]
                 [--sse AES256|aws:kms] [--content random|text]
                                                           load generator for any S3 endpoint (or plain HTTP with --no-sign)
          objstore bench compare A.json B.json             ratios of report B to report A
          objstore bench catalogue [--scale N]             listing cost as a bucket's versions grow (10^4 to 10^6)
          objstore bench lifecycle [--objects N]           a lifecycle pass over N objects (10^6), 1% due: run time, GET p99
          objstore bench list [--keys N] [--pages P] [--seed S] [--json FILE]
                                                           listing page p50/p99 over N synthetic keys (10^6), through S3
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            return args switch
            {
                ["dev", .. var rest] => await DevCommand.RunAsync(Options.Parse(rest)),
                ["node", .. var rest] => await NodeCommand.RunAsync(Options.Parse(rest)),
                ["gateway", .. var rest] => await GatewayCommand.RunAsync(Options.Parse(rest)),
                ["restore-catalogue", .. var rest] => await RestoreCommand.RunAsync(Options.Parse(rest)),
                ["admin", var verb, .. var rest] => await AdminCommand.RunAsync(verb, Options.Parse(rest)),
                ["bench", "codec", .. var rest] => CodecBench.Run(Options.Parse(rest)),
                ["bench", "s3", .. var rest] => await S3BenchCommand.RunAsync(Options.Parse(rest)),
                ["bench", "compare", .. var rest] => S3BenchCommand.Compare(Options.Parse(rest)),
                ["bench", "catalogue", .. var rest] => await CatalogueBench.RunAsync(Options.Parse(rest)),
                ["bench", "lifecycle", .. var rest] => await LifecycleBench.RunAsync(Options.Parse(rest)),
                ["bench", "list", .. var rest] => await ListingBenchCommand.RunAsync(Options.Parse(rest)),
                _ => Fail($"unknown command: {string.Join(' ', args)}"),
            };
        }
        catch (OptionException e)
        {
            return Fail(e.Message);
        }
        catch (Kms.MasterKeyMismatchException e)
        {
            await Console.Error.WriteLineAsync($"objstore: {e.Message}");
            return 1;
        }
        finally
        {
            await Console.Out.FlushAsync();
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"objstore: {message}");
        Console.Error.WriteLine(Usage);
        return 2;
    }
}
