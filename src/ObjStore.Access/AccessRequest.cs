namespace ObjStore.Access;

/// <summary>
/// One permission question: may <see cref="Principal"/> perform <see cref="Action"/> (an IAM action such as
/// <c>s3:GetObject</c>) on <see cref="Resource"/> (<c>arn:aws:s3:::bucket</c> or <c>arn:aws:s3:::bucket/key</c>, or
/// <c>*</c> for ListAllMyBuckets), given the request's condition keys.
/// </summary>
public sealed record AccessRequest(string Action, string Resource, Principal Principal, ConditionContext Conditions)
{
    public static string BucketArn(string bucket) => "arn:aws:s3:::" + bucket;

    public static string ObjectArn(string bucket, string key) => "arn:aws:s3:::" + bucket + "/" + key;
}

/// <summary>
/// The condition keys of one request (aws:SourceIp, s3:prefix, ...), names compared case-insensitively as IAM does;
/// a key may have several values (s3:RequestObjectTagKeys). A key that is absent is absent: operators treat it as
/// IAM documents (false, except for the IfExists forms, Null, and ForAllValues over an empty set). Values are set up
/// front or computed by a resolver the first time a policy asks for the key, so a request pays only for the keys its
/// policies read.
/// </summary>
public sealed class ConditionContext(Func<string, string[]?>? resolve = null)
{
    // Made on first use: most requests' policies read no condition key at all.
    private Dictionary<string, string[]?>? _values;

    private Dictionary<string, string[]?> Values => _values ??= new(KeyComparer.Instance);

    public static ConditionContext Empty => new();

    public ConditionContext Set(string key, string? value)
    {
        if (value is not null)
        {
            Values[key] = [value];
        }
        return this;
    }

    public ConditionContext Set(string key, IEnumerable<string> values)
    {
        Values[key] = [.. values];
        return this;
    }

    /// <summary>The values of a key; false when the request has no such key.</summary>
    public bool TryGet(string key, out IReadOnlyList<string> values)
    {
        if (!Values.TryGetValue(key, out var array) && resolve is not null)
        {
            array = resolve(key);
            Values[key] = array; // remembered, absent included: a policy may ask for a key many times
        }
        values = array ?? [];
        return array is not null;
    }

    /// <summary>
    /// Condition key names compare case-insensitively, except what follows a '/' (the tag key of
    /// s3:RequestObjectTag/KEY, the header of aws:RequestTag/...), which is data and case-sensitive.
    /// </summary>
    private sealed class KeyComparer : IEqualityComparer<string>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(string? x, string? y)
        {
            if (x is null || y is null)
            {
                return x is null && y is null;
            }
            int slash = x.IndexOf('/', StringComparison.Ordinal);
            if (slash != y.IndexOf('/', StringComparison.Ordinal))
            {
                return false;
            }
            return slash < 0
                ? string.Equals(x, y, StringComparison.OrdinalIgnoreCase)
                : x.AsSpan(0, slash).Equals(y.AsSpan(0, slash), StringComparison.OrdinalIgnoreCase) && x.AsSpan(slash).SequenceEqual(y.AsSpan(slash));
        }

        public int GetHashCode(string obj)
        {
            int slash = obj.IndexOf('/', StringComparison.Ordinal);
            return slash < 0
                ? StringComparer.OrdinalIgnoreCase.GetHashCode(obj)
                : HashCode.Combine(string.GetHashCode(obj.AsSpan(0, slash), StringComparison.OrdinalIgnoreCase), string.GetHashCode(obj.AsSpan(slash), StringComparison.Ordinal));
        }
    }
}
