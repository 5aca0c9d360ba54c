using ObjStore.Access;
using ObjStore.S3.Handlers;
using ObjStore.S3.Protocol;

namespace ObjStore.S3.Access;

/// <summary>
/// The one place S3 requests are authorized: every operation's IAM action, resource and condition keys are derived
/// here and decided by <c>AccessDecision</c> before the handler runs. Handlers ask it only for what a request
/// reveals inside its body (each key of DeleteObjects, a browser form's key).
/// </summary>
internal sealed class S3Authorizer
{
    /// <summary>Throws AccessDenied unless the request may run.</summary>
    public Task AuthorizeAsync(S3Operation operation, Call call, CancellationToken ct) => throw new NotImplementedException(operation + "" + call + ct);

    /// <summary>Throws AccessDenied unless <paramref name="call"/>'s principal may do <paramref name="action"/> on the bucket or key.</summary>
    public Task RequireAsync(Call call, string action, string bucket, string? key, Action<ConditionContext>? addConditions, CancellationToken ct) =>
        throw new NotImplementedException(call + action + bucket + key + addConditions + ct);
}
