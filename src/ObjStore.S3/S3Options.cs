namespace ObjStore.S3;

public sealed class S3Options
{
    /// <summary>The region clients sign for and GetBucketLocation reports.</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Host names under which "bucket.domain" is a virtual-hosted-style request.</summary>
    public List<string> Domains { get; set; } = ["localhost"];

    /// <summary>Access key to secret key.</summary>
    public Dictionary<string, string> Credentials { get; set; } = [];

    /// <summary>The slowest request bodies accepted (ObjStore:S3:Uploads:*).</summary>
    public Auth.UploadRateOptions Uploads { get; set; } = new();
}
