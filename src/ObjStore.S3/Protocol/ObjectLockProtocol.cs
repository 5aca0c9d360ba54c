using System.Globalization;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Protocol;

/// <summary>Object Lock on the wire: the x-amz-object-lock-* headers, and the Retention, LegalHold and ObjectLockConfiguration documents.</summary>
internal static class ObjectLockProtocol
{
    public const string ModeHeader = "x-amz-object-lock-mode";
    public const string RetainUntilHeader = "x-amz-object-lock-retain-until-date";
    public const string LegalHoldHeader = "x-amz-object-lock-legal-hold";
    public const string BypassHeader = "x-amz-bypass-governance-retention";

    /// <summary>The lock a write asks for in its headers; null when it names none.</summary>
    public static ObjectLock? FromHeaders(IHeaderDictionary headers)
    {
        string mode = headers[ModeHeader].ToString();
        string until = headers[RetainUntilHeader].ToString();
        string hold = headers[LegalHoldHeader].ToString();
        if (mode.Length == 0 && until.Length == 0 && hold.Length == 0)
        {
            return null;
        }
        if ((mode.Length == 0) != (until.Length == 0))
        {
            throw new S3Exception(S3Error.InvalidArgument, "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied");
        }
        var retention = mode.Length == 0 ? null : new ObjectRetention(
            RetentionModes.Parse(mode) ?? throw new S3Exception(S3Error.InvalidArgument, "Unknown wormMode directive."),
            ParseDate(until) ?? throw new S3Exception(S3Error.InvalidArgument, "The retain until date must be provided in ISO 8601 format"));
        bool? legalHold = hold.Length == 0 ? null : ParseStatus(hold) ?? throw new S3Exception(S3Error.InvalidArgument, "Legal Hold must be either of 'ON' or 'OFF'");
        return new ObjectLock(retention, legalHold);
    }

    /// <summary>What GET and HEAD say of a version's lock.</summary>
    public static void WriteHeaders(HttpResponse response, ObjectLock objectLock)
    {
        if (objectLock.Retention is { } retention)
        {
            response.Headers[ModeHeader] = RetentionModes.Name(retention.Mode);
            // Whole seconds in the header, as S3 writes it (the XML documents carry milliseconds).
            response.Headers[RetainUntilHeader] = retention.RetainUntil.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }
        if (objectLock.LegalHold is { } on)
        {
            response.Headers[LegalHoldHeader] = on ? "ON" : "OFF"; // absent while no legal hold was ever set
        }
    }

    public static bool Bypass(IHeaderDictionary headers) =>
        string.Equals(headers[BypassHeader].ToString(), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// S3 wants proof of a lock request's integrity: Content-MD5 or a flexible checksum (a header, a trailer, or an
    /// algorithm the SDK computes into one).
    /// </summary>
    public static void RequireIntegrity(IHeaderDictionary headers)
    {
        bool has = headers.ContainsKey("Content-MD5") || headers.ContainsKey("x-amz-trailer")
            || headers.Keys.Any(h => h.StartsWith("x-amz-checksum-", StringComparison.OrdinalIgnoreCase)
                && !h.Equals("x-amz-checksum-mode", StringComparison.OrdinalIgnoreCase) && !h.Equals("x-amz-checksum-algorithm", StringComparison.OrdinalIgnoreCase));
        if (!has)
        {
            throw new S3Exception(S3Error.InvalidRequest, "Missing required header for this request: Content-MD5 OR x-amz-checksum-*");
        }
    }


    private static bool? ParseStatus(string value) => value switch
    {
        "ON" => true,
        "OFF" => false,
        _ => null,
    };

    private static DateTimeOffset? ParseDate(string value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date)
        && value.Contains('T', StringComparison.Ordinal) ? date : null;

    // ---- documents ------------------------------------------------------------------------------------------------

    /// <summary>A Retention document: Mode and RetainUntilDate, or neither (which removes the retention).</summary>
    public static ObjectRetention? ParseRetention(XElement root)
    {
        if (root.Name.LocalName != "Retention")
        {
            throw new S3Exception(S3Error.MalformedXML);
        }
        string? mode = ChildValue(root, "Mode"), until = ChildValue(root, "RetainUntilDate");
        if (mode is null && until is null)
        {
            return null;
        }
        if (mode is null || until is null)
        {
            throw new S3Exception(S3Error.MalformedXML, "A Retention names both Mode and RetainUntilDate.");
        }
        return new ObjectRetention(
            RetentionModes.Parse(mode) ?? throw new S3Exception(S3Error.MalformedXML, "Mode is GOVERNANCE or COMPLIANCE."),
            ParseDate(until) ?? throw new S3Exception(S3Error.MalformedXML, "RetainUntilDate is an ISO 8601 time."));
    }

    public static XElement Retention(ObjectRetention retention) =>
        El("Retention", El("Mode", RetentionModes.Name(retention.Mode)), El("RetainUntilDate", Timestamp(retention.RetainUntil)));

    public static bool ParseLegalHold(XElement root) =>
        root.Name.LocalName == "LegalHold" && ChildValue(root, "Status") is { } status && ParseStatus(status) is { } on
            ? on
            : throw new S3Exception(S3Error.MalformedXML, "A LegalHold has a Status of ON or OFF.");

    public static XElement LegalHold(bool on) => El("LegalHold", El("Status", on ? "ON" : "OFF"));

    /// <summary>An ObjectLockConfiguration: ObjectLockEnabled Enabled, and optionally a default retention of Days or Years.</summary>
    public static DefaultRetention? ParseConfiguration(XElement root)
    {
        if (root.Name.LocalName != "ObjectLockConfiguration" || ChildValue(root, "ObjectLockEnabled") != "Enabled")
        {
            throw new S3Exception(S3Error.MalformedXML, "An ObjectLockConfiguration has ObjectLockEnabled Enabled.");
        }
        var rule = Children(root, "Rule").FirstOrDefault();
        if (rule is null)
        {
            return null;
        }
        var retention = Children(rule, "DefaultRetention").FirstOrDefault()
            ?? throw new S3Exception(S3Error.MalformedXML, "A Rule has a DefaultRetention.");
        var mode = RetentionModes.Parse(ChildValue(retention, "Mode") ?? "") ?? throw new S3Exception(S3Error.MalformedXML, "DefaultRetention's Mode is GOVERNANCE or COMPLIANCE.");
        string? days = ChildValue(retention, "Days"), years = ChildValue(retention, "Years");
        if ((days is null) == (years is null))
        {
            throw new S3Exception(S3Error.MalformedXML, "A DefaultRetention names either Days or Years.");
        }
        int period = int.TryParse(days ?? years, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n)
            ? n : throw new S3Exception(S3Error.MalformedXML, "The retention period is an integer.");
        if (period <= 0 || (days is not null && period > 36500) || (years is not null && period > 100))
        {
            throw new S3Exception(S3Error.InvalidArgument, "Default retention period must be a positive integer value.");
        }
        return days is not null ? new DefaultRetention(mode, period, null) : new DefaultRetention(mode, null, period);
    }

    public static XElement Configuration(DefaultRetention? retention) => El("ObjectLockConfiguration",
        El("ObjectLockEnabled", "Enabled"),
        retention is null ? null : El("Rule", El("DefaultRetention",
            El("Mode", RetentionModes.Name(retention.Mode)),
            retention.Days is { } days ? El("Days", days) : El("Years", retention.Years))));
}
