using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using ObjStore.Access.Policies;
using ObjStore.Metadata;

namespace ObjStore.Hosting;

/// <summary>
/// The admin API's users, keys and identity policies (root only, signed like every admin request):
/// <code>
/// GET    /users                      users (with their key ids, never secrets)
/// POST   /users?name=NAME            add a user; 201
/// POST   /users/NAME/disable|enable  a disabled user's keys stop working at once
/// DELETE /users/NAME                 remove a user and its keys (its buckets stay)
/// GET|PUT|DELETE /users/NAME/policy  the identity policy (IAM JSON, validated when set)
/// POST   /users/NAME/keys            a new access key; 201 with the secret, shown this once
/// GET    /keys[?user=NAME]           access keys
/// DELETE /keys/ACCESSKEY             revoke a key
/// </code>
/// </summary>
public sealed class IdentityAdminApi(IIdentityCatalogue catalogue, IdentityDirectory directory, TimeProvider clock)
{
    /// <summary>Identity policies are inline user policies; IAM allows them 2,048 characters, bucket policies 20 KB: we allow 20 KB.</summary>
    private const int MaxPolicyBytes = 20 * 1024;

    public static bool Handles(string route) =>
        route == "/users" || route.StartsWith("/users/", StringComparison.Ordinal) || route == "/keys" || route.StartsWith("/keys/", StringComparison.Ordinal);

    public async Task HandleAsync(HttpContext context, string route, Func<string, string> query, string payloadHash)
    {
        var segments = route.Trim('/').Split('/');
        string method = context.Request.Method;
        switch (segments)
        {
            case ["users"] when method == "GET":
                var keys = (await catalogue.ListKeysAsync()).ToLookup(k => k.UserName, StringComparer.Ordinal);
                await context.Response.WriteAsJsonAsync((await catalogue.ListUsersAsync()).Select(u => new
                {
                    name = u.Name, canonicalId = u.CanonicalId, created = u.Created, disabled = u.Disabled, hasPolicy = u.Policy is not null,
                    accessKeys = keys[u.Name].Select(k => k.AccessKey),
                }));
                return;
            case ["users"] when method == "POST":
                string name = query("name");
                if (!IsValidUserName(name))
                {
                    await AdminApi.ErrorAsync(context, 400, "a user name is 1 to 64 of A-Z a-z 0-9 + = , . @ _ -");
                    return;
                }
                var user = new UserRecord(name, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), clock.GetUtcNow(), false, null);
                if (!await catalogue.AddUserAsync(user))
                {
                    await AdminApi.ErrorAsync(context, 409, $"user {name} exists");
                    return;
                }
                await directory.ReloadAsync();
                context.Response.StatusCode = 201;
                await context.Response.WriteAsJsonAsync(new { name, canonicalId = user.CanonicalId });
                return;
            case ["users", var userName, "disable" or "enable"] when method == "POST":
                await ChangedAsync(context, await catalogue.SetDisabledAsync(userName, segments[2] == "disable"), $"no user {userName}");
                return;
            case ["users", var userName] when method == "DELETE":
                await ChangedAsync(context, await catalogue.RemoveUserAsync(userName), $"no user {userName}");
                return;
            case ["users", var userName, "policy"]:
                await PolicyAsync(context, userName, payloadHash);
                return;
            case ["users", var userName, "keys"] when method == "POST":
                string accessKey = NewAccessKey();
                string secret = NewSecret();
                if (!await catalogue.AddKeyAsync(new AccessKeyRecord(accessKey, userName, directory.Seal(accessKey, secret), clock.GetUtcNow())))
                {
                    await AdminApi.ErrorAsync(context, 404, $"no user {userName}");
                    return;
                }
                await directory.ReloadAsync();
                context.Response.StatusCode = 201;
                await context.Response.WriteAsJsonAsync(new { user = userName, accessKey, secretKey = secret });
                return;
            case ["keys"] when method == "GET":
                string? owner = query("user") is { Length: > 0 } u ? u : null;
                await context.Response.WriteAsJsonAsync((await catalogue.ListKeysAsync(owner)).Select(k => new { accessKey = k.AccessKey, user = k.UserName, created = k.Created }));
                return;
            case ["keys", var key] when method == "DELETE":
                await ChangedAsync(context, await catalogue.RemoveKeyAsync(key), $"no access key {key}");
                return;
            default:
                await AdminApi.ErrorAsync(context, 404, "no such admin resource");
                return;
        }
    }

    private async Task PolicyAsync(HttpContext context, string userName, string payloadHash)
    {
        switch (context.Request.Method)
        {
            case "GET":
                var user = (await catalogue.ListUsersAsync()).FirstOrDefault(u => u.Name == userName);
                if (user?.Policy is null)
                {
                    await AdminApi.ErrorAsync(context, 404, user is null ? $"no user {userName}" : $"user {userName} has no policy");
                    return;
                }
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(user.Policy);
                return;
            case "PUT":
                if (await AdminApi.ReadSignedBodyAsync(context, payloadHash, MaxPolicyBytes, "MalformedPolicy: a policy is at most 20 KB") is not { } text)
                {
                    return;
                }
                try
                {
                    PolicyDocument.Parse(text, PolicyKind.Identity);
                }
                catch (MalformedPolicyException e)
                {
                    await AdminApi.ErrorAsync(context, 400, "MalformedPolicy: " + e.Message);
                    return;
                }
                await ChangedAsync(context, await catalogue.SetPolicyAsync(userName, text), $"no user {userName}");
                return;
            case "DELETE":
                await ChangedAsync(context, await catalogue.SetPolicyAsync(userName, null), $"no user {userName}");
                return;
            default:
                await AdminApi.ErrorAsync(context, 405, "GET, PUT or DELETE");
                return;
        }
    }

    private async Task ChangedAsync(HttpContext context, bool changed, string notFound)
    {
        if (!changed)
        {
            await AdminApi.ErrorAsync(context, 404, notFound);
            return;
        }
        await directory.ReloadAsync();
        context.Response.StatusCode = 204;
    }

    /// <summary>IAM's user name rule.</summary>
    private static bool IsValidUserName(string name) =>
        name.Length is >= 1 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || "+=,.@_-".Contains(c, StringComparison.Ordinal));

    /// <summary>20 characters like AWS's, from an alphabet without look-alikes.</summary>
    private static string NewAccessKey() => "OS" + RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 18);

    /// <summary>40 characters of base64 alphabet: 240 bits.</summary>
    private static string NewSecret() =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
}
