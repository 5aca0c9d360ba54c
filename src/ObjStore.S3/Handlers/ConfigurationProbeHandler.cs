using System.Xml.Linq;
using ObjStore.Core;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Responses;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Handlers;

/// <summary>
/// The read-only configuration requests tools make before anything else (backup tools, Terraform, bucket browsers)
/// about bucket features this store does not have: each is answered as S3 answers for a bucket that was never given
/// that configuration, rather than 501, so the tool carries on. Setting one (the Put and Delete operations) stays
/// 501 NotImplemented.
/// </summary>
internal sealed class ConfigurationProbeHandler(IObjectLayer objects)
{
    /// <summary>The operations answered here.</summary>
    public static bool Answers(S3Operation operation) => operation is S3Operation.GetBucketWebsite or S3Operation.GetBucketLogging
        or S3Operation.GetBucketNotificationConfiguration or S3Operation.GetBucketRequestPayment or S3Operation.GetBucketReplication
        or S3Operation.GetBucketAccelerateConfiguration
        or S3Operation.ListBucketAnalyticsConfigurations or S3Operation.ListBucketInventoryConfigurations
        or S3Operation.ListBucketMetricsConfigurations or S3Operation.ListBucketIntelligentTieringConfigurations
        or S3Operation.GetBucketAnalyticsConfiguration or S3Operation.GetBucketInventoryConfiguration
        or S3Operation.GetBucketMetricsConfiguration or S3Operation.GetBucketIntelligentTieringConfiguration;

    public async Task AnswerAsync(S3Operation operation, Call call, CancellationToken ct)
    {
        _ = await objects.RequireBucketAsync(call.Bucket, ct);
        var document = operation switch
        {
            S3Operation.GetBucketWebsite => throw new S3Exception(S3Error.NoSuchWebsiteConfiguration),
            S3Operation.GetBucketReplication => throw new S3Exception(S3Error.ReplicationConfigurationNotFoundError),
            S3Operation.GetBucketAnalyticsConfiguration or S3Operation.GetBucketInventoryConfiguration
                or S3Operation.GetBucketMetricsConfiguration or S3Operation.GetBucketIntelligentTieringConfiguration
                => throw new S3Exception(S3Error.NoSuchConfiguration),
            // "If notifications are not enabled on the bucket, the action returns an empty NotificationConfiguration."
            S3Operation.GetBucketNotificationConfiguration => El("NotificationConfiguration"),
            // Logging disabled: a status without LoggingEnabled.
            S3Operation.GetBucketLogging => El("BucketLoggingStatus"),
            S3Operation.GetBucketRequestPayment => El("RequestPaymentConfiguration", El("Payer", "BucketOwner")),
            // "A GET accelerate request does not return a state value for a bucket that has no transfer acceleration state."
            S3Operation.GetBucketAccelerateConfiguration => El("AccelerateConfiguration"),
            // The list roots are S3's, one of them singular.
            S3Operation.ListBucketAnalyticsConfigurations => EmptyList(call, "ListBucketAnalyticsConfigurationResult"),
            S3Operation.ListBucketInventoryConfigurations => EmptyList(call, "ListInventoryConfigurationsResult"),
            S3Operation.ListBucketMetricsConfigurations => EmptyList(call, "ListMetricsConfigurationsResult"),
            S3Operation.ListBucketIntelligentTieringConfigurations => EmptyList(call, "ListBucketIntelligentTieringConfigurationsOutput"),
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "not a configuration probe"),
        };
        await WriteXmlAsync(call.Response, document);
    }

    /// <summary>A listing with nothing in it; the continuation token comes back when one was sent, as S3 does.</summary>
    private static XElement EmptyList(Call call, string root) => El(root,
        El("IsTruncated", "false"),
        call.Request.QueryValue("continuation-token") is { } token ? El("ContinuationToken", token) : null);
}
