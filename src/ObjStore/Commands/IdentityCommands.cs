using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ObjStore.Cli.Commands;

/// <summary>
/// `objstore admin user|key|policy ...`: users, their access keys and identity policies, over the admin API.
/// <code>
/// user add|list|disable|enable|remove NAME
/// key add USER | key list [USER] | key remove [USER] ACCESSKEY
/// policy set USER FILE.json | policy set USER --readwrite BUCKET[/PREFIX] | --readonly BUCKET[/PREFIX]
/// policy show|remove USER
/// </code>
/// </summary>
internal static class IdentityCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string noun, IReadOnlyList<string> args, string? readWrite, string? readOnly, AdminCommand.AdminClient admin, bool json)
    {
        string Arg(int i, string what) => args.Count > i ? args[i] : throw new OptionException($"objstore admin {noun} {string.Join(' ', args.Take(i))}: {what} is missing");
        string Escaped(int i, string what) => Uri.EscapeDataString(Arg(i, what));
        switch (noun, args.Count > 0 ? args[0] : "")
        {
            case ("user", "add"):
                var added = await admin.PostAsync<JsonElement>($"/users?name={Escaped(1, "NAME")}");
                Console.WriteLine(json ? added.ToString() : $"user {added.GetProperty("name").GetString()} added (canonical id {added.GetProperty("canonicalId").GetString()})\n"
                    + $"  it may do nothing until it has a policy: objstore admin policy set {Arg(1, "NAME")} --readwrite BUCKET[/PREFIX]\n"
                    + $"  and it signs with a key of its own: objstore admin key add {Arg(1, "NAME")}");
                return 0;
            case ("user", "list"):
                var users = await admin.GetAsync<JsonElement>("/users");
                Console.WriteLine(json ? JsonSerializer.Serialize(users, Indented) : FormatUsers(users));
                return 0;
            case ("user", "disable" or "enable"):
                await admin.SendTextAsync(HttpMethod.Post, $"/users/{Escaped(1, "NAME")}/{args[0]}");
                Console.WriteLine($"user {args[1]} {args[0]}d");
                return 0;
            case ("user", "remove"):
                await admin.SendTextAsync(HttpMethod.Delete, $"/users/{Escaped(1, "NAME")}");
                Console.WriteLine($"user {args[1]} and its keys removed (its buckets stay)");
                return 0;
            case ("key", "add"):
                var key = await admin.PostAsync<JsonElement>($"/users/{Escaped(1, "USER")}/keys");
                Console.WriteLine(json ? key.ToString() : string.Create(CultureInfo.InvariantCulture,
                    $"access key: {key.GetProperty("accessKey").GetString()}\nsecret key: {key.GetProperty("secretKey").GetString()}\n(the secret is shown only now; the store keeps it sealed under its master key)"));
                return 0;
            case ("key", "list"):
                var keys = await admin.GetAsync<JsonElement>(args.Count > 1 ? $"/keys?user={Escaped(1, "USER")}" : "/keys");
                Console.WriteLine(json ? JsonSerializer.Serialize(keys, Indented)
                    : string.Join('\n', keys.EnumerateArray().Select(k => $"{k.GetProperty("accessKey").GetString(),-22} {k.GetProperty("user").GetString(),-20} {k.GetProperty("created").GetString()}")));
                return 0;
            case ("key", "remove"):
                // `key remove ACCESSKEY`, or `key remove USER ACCESSKEY` (the key must then be that user's).
                string removed = args.Count > 2 ? Arg(2, "ACCESSKEY") : Arg(1, "ACCESSKEY");
                if (args.Count > 2)
                {
                    var owned = await admin.GetAsync<JsonElement>($"/keys?user={Escaped(1, "USER")}");
                    if (!owned.EnumerateArray().Any(k => k.GetProperty("accessKey").GetString() == removed))
                    {
                        throw new OptionException($"{args[1]} has no access key {removed}");
                    }
                }
                await admin.SendTextAsync(HttpMethod.Delete, $"/keys/{Uri.EscapeDataString(removed)}");
                Console.WriteLine($"access key {removed} removed");
                return 0;
            case ("policy", "set"):
                string policy = readWrite is not null ? PrefixPolicy(readWrite, write: true)
                    : readOnly is not null ? PrefixPolicy(readOnly, write: false)
                    : await File.ReadAllTextAsync(Arg(2, "FILE.json (or --readwrite/--readonly BUCKET[/PREFIX])"));
                await admin.SendTextAsync(HttpMethod.Put, $"/users/{Escaped(1, "USER")}/policy", policy);
                Console.WriteLine($"policy of {args[1]} set");
                return 0;
            case ("policy", "show"):
                Console.WriteLine(await admin.SendTextAsync(HttpMethod.Get, $"/users/{Escaped(1, "USER")}/policy"));
                return 0;
            case ("policy", "remove"):
                await admin.SendTextAsync(HttpMethod.Delete, $"/users/{Escaped(1, "USER")}/policy");
                Console.WriteLine($"policy of {args[1]} removed: the user may do nothing");
                return 0;
            default:
                throw new OptionException($"unknown admin command '{noun} {string.Join(' ', args)}' (user add|list|disable|enable|remove, key add|list|remove, policy set|show|remove)");
        }
    }

    /// <summary>
    /// The everyday policy: read (and write) objects under BUCKET/PREFIX, list that prefix, and see the bucket in
    /// ListBuckets (which shows a user only the buckets it owns or may list). With no prefix, the whole bucket.
    /// </summary>
    internal static string PrefixPolicy(string target, bool write)
    {
        int slash = target.IndexOf('/', StringComparison.Ordinal);
        string bucket = slash < 0 ? target : target[..slash];
        string prefix = slash < 0 ? "" : target[(slash + 1)..];
        if (bucket.Length == 0)
        {
            throw new OptionException("--readwrite/--readonly take BUCKET or BUCKET/PREFIX");
        }
        string[] objectActions = write
            ? ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
               "s3:GetObjectAcl", "s3:GetObjectAttributes", "s3:GetObjectTagging", "s3:PutObjectTagging"]
            : ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAcl", "s3:GetObjectAttributes", "s3:GetObjectTagging"];
        var list = new JsonObject
        {
            ["Sid"] = "List",
            ["Effect"] = "Allow",
            ["Action"] = new JsonArray("s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"),
            ["Resource"] = $"arn:aws:s3:::{bucket}",
        };
        if (prefix.Length > 0)
        {
            list["Condition"] = new JsonObject { ["StringLike"] = new JsonObject { ["s3:prefix"] = new JsonArray(prefix + "*") } };
        }
        var document = new JsonObject
        {
            ["Version"] = "2012-10-17",
            ["Statement"] = new JsonArray(
                new JsonObject { ["Sid"] = "Buckets", ["Effect"] = "Allow", ["Action"] = "s3:ListAllMyBuckets", ["Resource"] = "*" },
                // Without the prefix condition: a GetBucketLocation request has no s3:prefix.
                new JsonObject { ["Sid"] = "Location", ["Effect"] = "Allow", ["Action"] = "s3:GetBucketLocation", ["Resource"] = $"arn:aws:s3:::{bucket}" },
                list,
                new JsonObject
                {
                    ["Sid"] = write ? "ReadWrite" : "Read",
                    ["Effect"] = "Allow",
                    ["Action"] = new JsonArray([.. objectActions.Select(a => (JsonNode)a)]),
                    ["Resource"] = $"arn:aws:s3:::{bucket}/{prefix}*",
                }),
        };
        return document.ToJsonString(Indented);
    }

    private static string FormatUsers(JsonElement users) => string.Join('\n',
        new[] { $"{"user",-20} {"state",-9} {"policy",-7} keys" }.Concat(users.EnumerateArray().Select(u =>
            $"{u.GetProperty("name").GetString(),-20} {(u.GetProperty("disabled").GetBoolean() ? "disabled" : "enabled"),-9} {(u.GetProperty("hasPolicy").GetBoolean() ? "yes" : "none"),-7} "
            + string.Join(", ", u.GetProperty("accessKeys").EnumerateArray().Select(k => k.GetString())))));
}
