using Microsoft.AspNetCore.Http;
using ObjStore.S3.Auth;
using ObjStore.S3.Protocol;
using ObjStore.S3.Telemetry;

namespace ObjStore.S3.Handlers;

/// <summary>One authenticated request on its way to its operation: the HTTP exchange, what was parsed, who signed.</summary>
internal sealed record Call(HttpContext Context, S3Request Request, AuthContext Auth)
{
    /// <summary>A POST Object form's fields as the headers of the PUT it stands for; null for every other request.</summary>
    public IHeaderDictionary? FormFields { get; init; }

    /// <summary>Where the request's byte counts go, for the metrics and the access log.</summary>
    public S3Exchange? Exchange { get; init; }

    public HttpRequest Http => Context.Request;
    public HttpResponse Response => Context.Response;

    /// <summary>The bucket; only operations the router named on a bucket ask for it.</summary>
    public string Bucket => Request.Bucket!;

    /// <summary>The key; only operations the router named on an object ask for it.</summary>
    public string Key => Request.Key!;
}
