using ObjStore.Access.Policies;

namespace ObjStore.Access;

/// <summary>Object Ownership: who owns objects written to a bucket, and whether ACLs count at all.</summary>
public enum ObjectOwnership
{
    /// <summary>ACLs are disabled; the bucket owner owns every object. AWS's default for new buckets since April 2023.</summary>
    BucketOwnerEnforced,

    /// <summary>ACLs count; an object written with bucket-owner-full-control is owned by the bucket owner.</summary>
    BucketOwnerPreferred,

    /// <summary>ACLs count; the writer owns what it writes. What buckets without ownership controls behave as.</summary>
    ObjectWriter,
}

public static class ObjectOwnerships
{
    /// <summary>
    /// S3's name of a setting, exactly (case and all); never a number or an alias, which <see cref="Enum.TryParse{TEnum}(string?, out TEnum)"/>
    /// would accept.
    /// </summary>
    public static bool TryParse(string? name, out ObjectOwnership ownership) =>
        Enum.TryParse(name, out ownership) && Enum.IsDefined(ownership) && ownership.ToString() == name;
}

/// <summary>A bucket's public access block (all four false when it has none).</summary>
public sealed record PublicAccessBlock(bool BlockPublicAcls, bool IgnorePublicAcls, bool BlockPublicPolicy, bool RestrictPublicBuckets)
{
    public static readonly PublicAccessBlock None = new(false, false, false, false);
    public static readonly PublicAccessBlock All = new(true, true, true, true);
}

/// <summary>What authorization needs of a bucket, parsed once per change of its settings.</summary>
public sealed record BucketAccess(string OwnerId, PolicyDocument? Policy, AccessControlList Acl, ObjectOwnership Ownership, PublicAccessBlock PublicAccessBlock)
{
    public bool AclsEnabled => Ownership != ObjectOwnership.BucketOwnerEnforced;
}
