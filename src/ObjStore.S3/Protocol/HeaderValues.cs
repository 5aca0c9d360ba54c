using System.Text;

namespace ObjStore.S3.Protocol;

/// <summary>
/// What may go into an HTTP header and how what may not is carried. HTTP header values are ASCII without control
/// characters (tab aside); S3 stores metadata values and headers that are not, and returns them encoded as RFC 2047
/// encoded words (<c>=?UTF-8?B?...?=</c>), as AWS does for user metadata. Content-Disposition parameters are encoded
/// per RFC 5987/6266 (<c>filename*=UTF-8''%C3%A9</c>), which browsers understand.
/// </summary>
public static class HeaderValues
{
    /// <summary>True when the value can be stored and later returned: no control characters but tab.</summary>
    public static bool IsStorable(string value)
    {
        foreach (char c in value)
        {
            if (c is < ' ' and not '\t' or '\u007F')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Refuses a value with control characters, naming the header (InvalidArgument, as S3 answers).</summary>
    public static string RequireStorable(string name, string value) =>
        IsStorable(value) ? value : throw new S3Exception(S3Error.InvalidArgument, $"The value of {name} contains characters that are not allowed in an HTTP header.");

    /// <summary>The value as it can be sent: unchanged when it is plain ASCII, otherwise encoded (see the class).</summary>
    public static string ForResponse(string name, string value)
    {
        if (IsPlainAscii(value))
        {
            return value;
        }
        if (name.Equals("Content-Disposition", StringComparison.OrdinalIgnoreCase)
            && Rfc5987Parameters(value) is var parameters && IsPlainAscii(parameters))
        {
            return parameters;
        }
        return Rfc2047(value); // always ASCII: base64 of the UTF-8
    }

    private static bool IsPlainAscii(string value)
    {
        foreach (char c in value)
        {
            if (c is < ' ' and not '\t' or > '~')
            {
                return false;
            }
        }
        return true;
    }

    private static string Rfc2047(string value) => "=?UTF-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) + "?=";

    /// <summary>
    /// Decodes RFC 2047 encoded words in a request header value (<c>=?UTF-8?B?...?=</c> or <c>=?UTF-8?Q?...?=</c>),
    /// as S3 does before storing user metadata; anything else is returned as it is.
    /// </summary>
    public static string DecodeRfc2047(string value)
    {
        if (!value.StartsWith("=?", StringComparison.Ordinal) || !value.EndsWith("?=", StringComparison.Ordinal))
        {
            return value;
        }
        var parts = value[2..^2].Split('?');
        if (parts.Length != 3)
        {
            return value;
        }
        Encoding charset;
        try
        {
            charset = parts[0].ToUpperInvariant() switch
            {
                "UTF-8" => new UTF8Encoding(false, throwOnInvalidBytes: true),
                "ISO-8859-1" => Encoding.Latin1,
                "US-ASCII" => Encoding.ASCII,
                _ => throw new FormatException(),
            };
            byte[] bytes = parts[1].ToUpperInvariant() switch
            {
                "B" => Convert.FromBase64String(parts[2]),
                "Q" => QuotedPrintable(parts[2]),
                _ => throw new FormatException(),
            };
            return charset.GetString(bytes);
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            return value;
        }
    }

    private static byte[] QuotedPrintable(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '_')
            {
                bytes.Add((byte)' ');
            }
            else if (text[i] == '=' && i + 2 < text.Length)
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.Add((byte)text[i]);
            }
        }
        return [.. bytes];
    }

    /// <summary><c>attachment; filename="é.txt"</c> becomes <c>attachment; filename*=UTF-8''%C3%A9.txt</c>.</summary>
    private static string Rfc5987Parameters(string value)
    {
        var parts = value.Split(';');
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i].Trim();
            if (IsPlainAscii(part))
            {
                parts[i] = part;
                continue;
            }
            int eq = part.IndexOf('=');
            if (eq <= 0)
            {
                parts[i] = Rfc2047(part);
                continue;
            }
            string parameter = part[..eq].Trim().TrimEnd('*');
            string raw = part[(eq + 1)..].Trim().Trim('"');
            parts[i] = parameter + "*=UTF-8''" + Auth.SigV4.UriEncode(raw, encodeSlash: true);
        }
        return string.Join("; ", parts);
    }
}
