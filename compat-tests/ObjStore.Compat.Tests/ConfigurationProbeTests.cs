using System.Net;
using Amazon.S3.Model;

namespace ObjStore.Compat.Tests;

/// <summary>
/// The read-only configuration requests tools make first answer as S3 answers for a bucket never given that
/// configuration (an empty document or the documented 404), not 501; a missing bucket is NoSuchBucket; setting one
/// the store does not have (website, request payment) stays 501. (Default encryption is settable: EncryptionTests.)
/// </summary>
[Collection(SharedEndpoint.Name)]
public class ConfigurationProbeTests(S3Endpoint endpoint) : AccessTestBase(endpoint)
{
    /// <summary>
    /// The configurations S3 answers 404 for. AWSSDK.S3 suppresses the 404 of these operations (it hands back an
    /// empty response with the status), so the error code is read on the wire.
    /// </summary>
    public static TheoryData<string, string> Absent => new()
    {
        { "encryption", "ServerSideEncryptionConfigurationNotFoundError" },
        { "website", "NoSuchWebsiteConfiguration" },
        { "replication", "ReplicationConfigurationNotFoundError" },
        { "analytics&id=report", "NoSuchConfiguration" },
        { "inventory&id=report", "NoSuchConfiguration" },
        { "metrics&id=report", "NoSuchConfiguration" },
        { "intelligent-tiering&id=report", "NoSuchConfiguration" },
    };

    [Theory]
    [MemberData(nameof(Absent))]
    public async Task AnAbsentConfigurationIsItsDocumentedNotFound(string subresource, string code)
    {
        string bucket = await NewBucketAsync();
        using var response = await Access.SendAsRootAsync(HttpMethod.Get, $"/{bucket}?{subresource}");
        var error = await AccessFixture.ErrorOf(response);
        Assert.Equal((HttpStatusCode.NotFound, code), (error.Status, error.Code));
    }

    [Fact]
    public async Task TheSdkSeesNoConfigurationWhereS3AnswersNotFound()
    {
        string bucket = await NewBucketAsync();
        var encryption = await Root.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = bucket });
        Assert.Equal(HttpStatusCode.NotFound, encryption.HttpStatusCode);
        Assert.Null(encryption.ServerSideEncryptionConfiguration?.ServerSideEncryptionRules);
        var website = await Root.GetBucketWebsiteAsync(bucket);
        Assert.Equal(HttpStatusCode.NotFound, website.HttpStatusCode);
        Assert.Null(website.WebsiteConfiguration?.IndexDocumentSuffix);
        var replication = await Root.GetBucketReplicationAsync(new GetBucketReplicationRequest { BucketName = bucket });
        Assert.Equal(HttpStatusCode.NotFound, replication.HttpStatusCode);
        Assert.Empty(replication.Configuration?.Rules ?? []);
    }

    [Fact]
    public async Task GetBucketNotificationIsAnEmptyConfiguration()
    {
        string bucket = await NewBucketAsync();
        var notification = await Root.GetBucketNotificationAsync(bucket);
        Assert.Equal(HttpStatusCode.OK, notification.HttpStatusCode);
        Assert.Empty(notification.TopicConfigurations ?? []);
        Assert.Empty(notification.QueueConfigurations ?? []);
        Assert.Empty(notification.LambdaFunctionConfigurations ?? []);
        Assert.Null(notification.EventBridgeConfiguration);
    }

    [Fact]
    public async Task GetBucketLoggingIsLoggingDisabled()
    {
        string bucket = await NewBucketAsync();
        var logging = await Root.GetBucketLoggingAsync(bucket);
        Assert.Equal(HttpStatusCode.OK, logging.HttpStatusCode);
        Assert.True(string.IsNullOrEmpty(logging.BucketLoggingConfig?.TargetBucketName));
    }

    [Fact]
    public async Task GetBucketRequestPaymentIsTheBucketOwner()
    {
        string bucket = await NewBucketAsync();
        var payment = await Root.GetBucketRequestPaymentAsync(bucket);
        Assert.Equal("BucketOwner", payment.Payer);
    }

    [Fact]
    public async Task GetBucketAccelerateConfigurationHasNoStatus()
    {
        string bucket = await NewBucketAsync();
        var accelerate = await Root.GetBucketAccelerateConfigurationAsync(bucket);
        Assert.Equal(HttpStatusCode.OK, accelerate.HttpStatusCode);
        Assert.Null(accelerate.Status);
    }

    [Fact]
    public async Task ConfigurationListsAreEmpty()
    {
        string bucket = await NewBucketAsync();
        var analytics = await Root.ListBucketAnalyticsConfigurationsAsync(new ListBucketAnalyticsConfigurationsRequest { BucketName = bucket });
        Assert.Empty(analytics.AnalyticsConfigurationList ?? []);
        Assert.False(analytics.IsTruncated);
        var inventory = await Root.ListBucketInventoryConfigurationsAsync(new ListBucketInventoryConfigurationsRequest { BucketName = bucket });
        Assert.Empty(inventory.InventoryConfigurationList ?? []);
        Assert.False(inventory.IsTruncated);
        var metrics = await Root.ListBucketMetricsConfigurationsAsync(new ListBucketMetricsConfigurationsRequest { BucketName = bucket });
        Assert.Empty(metrics.MetricsConfigurationList ?? []);
        Assert.False(metrics.IsTruncated);
        var tiering = await Root.ListBucketIntelligentTieringConfigurationsAsync(new ListBucketIntelligentTieringConfigurationsRequest { BucketName = bucket });
        Assert.Empty(tiering.IntelligentTieringConfigurationList ?? []);
        Assert.False(tiering.IsTruncated);
    }

    public static TheoryData<string> Probes => new()
    {
        "encryption", "website", "replication", "notification", "logging", "requestPayment", "accelerate",
        "analytics", "inventory", "metrics", "intelligent-tiering", "analytics&id=report", "metrics&id=report",
    };

    [Theory]
    [MemberData(nameof(Probes))]
    public async Task AProbeOfAMissingBucketIsNoSuchBucket(string subresource)
    {
        using var response = await Access.SendAsRootAsync(HttpMethod.Get, $"/{Access.NewBucketName()}?{subresource}");
        var error = await AccessFixture.ErrorOf(response);
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchBucket"), (error.Status, error.Code));
    }

    [Fact]
    public async Task SettingAConfigurationIsStillNotImplemented()
    {
        string bucket = await NewBucketAsync();
        await FailsAsync(HttpStatusCode.NotImplemented, "NotImplemented", () => Root.PutBucketWebsiteAsync(new PutBucketWebsiteRequest
        {
            BucketName = bucket, WebsiteConfiguration = new WebsiteConfiguration { IndexDocumentSuffix = "index.html" },
        }));
        await FailsAsync(HttpStatusCode.NotImplemented, "NotImplemented", () => Root.PutBucketRequestPaymentAsync(new PutBucketRequestPaymentRequest
        {
            BucketName = bucket, RequestPaymentConfiguration = new RequestPaymentConfiguration { Payer = "Requester" },
        }));
        // Nothing was set by the refused requests.
        Assert.Equal(HttpStatusCode.NotFound, (await Root.GetBucketWebsiteAsync(bucket)).HttpStatusCode);
        Assert.Equal("BucketOwner", (await Root.GetBucketRequestPaymentAsync(bucket)).Payer);
    }
}
