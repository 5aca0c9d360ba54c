using System.Globalization;
using Microsoft.Net.Http.Headers;

namespace ObjStore.S3.Protocol;

/// <summary>HTTP-dates (RFC 9110 IMF-fixdate) in Last-Modified and the conditional headers.</summary>
internal static class HttpDates
{
    public static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Garbage dates are ignored, as HTTP says a recipient must.</summary>
    public static DateTimeOffset? Parse(string value) =>
        value.Length > 0 && HeaderUtilities.TryParseDate(value, out var parsed) ? parsed : null;
}
