using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using ObjStore.S3.Auth;

namespace ObjStore.S3.Post;

/// <summary>
/// A form's fields in the order sent. Names are matched case-insensitively (AWS: "The post parameters are case
/// insensitive") but reported as sent; a name sent twice has its values joined with commas, as AWS's form page says a
/// policy must then match them.
/// </summary>
internal sealed class PostFields
{
    private readonly List<KeyValuePair<string, string>> _fields = [];

    public IEnumerable<string> Names => _fields.Select(f => f.Key);

    public string? Get(string name)
    {
        foreach (var (key, value) in _fields)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }
        return null;
    }

    public IEnumerable<KeyValuePair<string, string>> All => _fields;

    public void Add(string name, string value)
    {
        int i = _fields.FindIndex(f => f.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (i < 0)
        {
            _fields.Add(new(name, value));
        }
        else
        {
            _fields[i] = new(_fields[i].Key, _fields[i].Value + "," + value);
        }
    }

    /// <summary>
    /// <c>${filename}</c> in every field but the signed ones (the signature covers the policy as sent), before the
    /// policy is checked: AWS expands variables "prior to validating the POST policy".
    /// </summary>
    public void ExpandFileName(string fileName)
    {
        for (int i = 0; i < _fields.Count; i++)
        {
            var (name, value) = _fields[i];
            if (!name.Equals("policy", StringComparison.OrdinalIgnoreCase) && !name.Equals("x-amz-signature", StringComparison.OrdinalIgnoreCase))
            {
                _fields[i] = new(name, value.Replace("${filename}", fileName, StringComparison.Ordinal));
            }
        }
    }
}

/// <summary>
/// A multipart/form-data POST Object body, read as it arrives: the fields before the <c>file</c> part are read into
/// memory, at most <see cref="MaxPreFileBytes"/> of them; the file part is handed on as a stream, never buffered; what
/// follows it is ignored, as S3 ignores it, except that a second file is refused.
/// </summary>
internal sealed class PostForm
{
    /// <summary>
    /// AWS: "The form data and boundaries (excluding the contents of the file) cannot exceed 20KB"; S3 reports the limit
    /// as 20480 bytes. Counted here as each part's boundary line, headers and value.
    /// </summary>
    public const int MaxPreFileBytes = 20 * 1024;

    private PostForm(PostFields fields, PostFile? file)
    {
        Fields = fields;
        File = file;
    }

    public PostFields Fields { get; }

    /// <summary>The file part; null when the body ended without one.</summary>
    public PostFile? File { get; }

    /// <summary>
    /// The form up to its file part. A request that is not multipart/form-data is S3's 412 (its "enclosure-type"
    /// condition); one without a boundary, or whose framing is broken, MalformedPOSTRequest.
    /// </summary>
    public static async Task<PostForm> ReadAsync(string? contentType, Stream body, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new S3Exception(S3Error.PreconditionFailed, "At least one of the pre-conditions you specified did not hold")
            {
                Details = [new("Condition", "Bucket POST must be of the enclosure-type multipart/form-data")],
            };
        }
        string boundary = HeaderUtilities.RemoveQuotes(type.Boundary).ToString();
        if (boundary.Length is 0 or > 70)
        {
            throw new S3Exception(S3Error.MalformedPOSTRequest);
        }
        var reader = new MultipartReader(boundary, body) { HeadersLengthLimit = MaxPreFileBytes, HeadersCountLimit = 16 };
        var fields = new PostFields();
        int used = 0;
        while (await Framed(() => reader.ReadNextSectionAsync(ct)) is { } section)
        {
            used += boundary.Length + 4 + section.Headers!.Sum(h => h.Key.Length + h.Value.ToString().Length + 4);
            var (name, fileName) = Disposition(section);
            if (name.Equals("file", StringComparison.OrdinalIgnoreCase))
            {
                CheckPreFileLength(used);
                return new PostForm(fields, new PostFile(reader, section.Body, fileName));
            }
            var value = await ReadFieldAsync(section.Body, MaxPreFileBytes - used + 1, ct);
            used += value.Length;
            CheckPreFileLength(used);
            fields.Add(name, Encoding.UTF8.GetString(value));
        }
        return new PostForm(fields, null);
    }

    /// <summary>A part's field name, and for the file its filename parameter (null when it has none).</summary>
    private static (string Name, string? FileName) Disposition(MultipartSection section)
    {
        // Only a form-data part is a field or the file: S3 counted a part sent as "file; name=..." against the limit.
        if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || disposition.Name.Length == 0)
        {
            throw new S3Exception(S3Error.MalformedPOSTRequest);
        }
        string name = HeaderUtilities.RemoveQuotes(disposition.Name).ToString();
        if (!disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
        {
            name = disposition.DispositionType.ToString() + ":" + name; // a field no policy covers, never the file
        }
        string? fileName = disposition.FileNameStar.HasValue ? disposition.FileNameStar.ToString()
            : disposition.FileName.HasValue ? HeaderUtilities.RemoveQuotes(disposition.FileName).ToString()
            : null;
        return (name, fileName);
    }

    private static void CheckPreFileLength(int used)
    {
        if (used > MaxPreFileBytes)
        {
            throw new S3Exception(S3Error.MaxPostPreDataLengthExceeded)
            {
                Details = [new("MaxPostPreDataLengthBytes", MaxPreFileBytes.ToString(CultureInfo.InvariantCulture))],
            };
        }
    }

    /// <summary>A field's value, read no further than <paramref name="limit"/> bytes (past it the form is refused anyway).</summary>
    private static async Task<byte[]> ReadFieldAsync(Stream section, int limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int n;
        while ((n = await Framed(() => section.ReadAsync(chunk, ct).AsTask())) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length >= limit)
            {
                break;
            }
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// The multipart reader's framing errors (a missing boundary, headers too long) are the client's malformed body;
    /// the client's own read failures already arrive as S3 errors (<see cref="ClientBodyStream"/>).
    /// </summary>
    internal static async Task<T> Framed<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            throw new S3Exception(S3Error.MalformedPOSTRequest, S3Error.MalformedPOSTRequest.Message, e);
        }
    }
}

/// <summary>
/// The file part as the object layer reads it: counted as it passes, refused as soon as it outgrows the allowed size
/// (reading stops there, so nothing is committed), and checked at its end against the smallest size and for a second
/// file part after it.
/// </summary>
internal sealed class PostFile(MultipartReader reader, Stream section, string? fileName) : ReadOnlyBodyStream
{
    /// <summary>The largest object a single upload may carry, as for PUT.</summary>
    public const long MaxObjectSize = 5L << 30;

    private long _min;
    private long _max = MaxObjectSize;
    private long _read;
    private bool _ended;

    /// <summary>The part's filename parameter with any client path removed; null when the part had none.</summary>
    public string? FileName { get; } = fileName is null ? null : fileName[(fileName.LastIndexOfAny(['/', '\\']) + 1)..];

    /// <summary>The policy's content-length-range, bounds inclusive.</summary>
    public void Limit(long min, long max)
    {
        _min = min;
        _max = Math.Min(max, MaxObjectSize);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_ended || buffer.IsEmpty)
        {
            return 0;
        }
        // One byte past the limit is enough to know it is exceeded, without reading (or storing) more of it.
        long room = _max - _read + 1;
        var target = buffer.Length > room ? buffer[..(int)room] : buffer;
        int n = await PostForm.Framed(() => section.ReadAsync(target, cancellationToken).AsTask());
        _read += n;
        if (_read > _max)
        {
            throw new S3Exception(S3Error.EntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
            {
                Details = [new("MaxSizeAllowed", _max.ToString(CultureInfo.InvariantCulture))],
            };
        }
        if (n == 0)
        {
            await EndAsync(cancellationToken);
        }
        return n;
    }

    private async Task EndAsync(CancellationToken ct)
    {
        _ended = true;
        if (_read < _min)
        {
            throw new S3Exception(S3Error.EntityTooSmall, "Your proposed upload is smaller than the minimum allowed size")
            {
                Details = [new("ProposedSize", _read.ToString(CultureInfo.InvariantCulture)), new("MinSizeAllowed", _min.ToString(CultureInfo.InvariantCulture))],
            };
        }
        // Fields after the file are ignored (the reader drains each section it passes); another file is not.
        int files = 1;
        while (await PostForm.Framed(() => reader.ReadNextSectionAsync(ct)) is { } next)
        {
            if (ContentDispositionHeaderValue.TryParse(next.ContentDisposition, out var disposition)
                && disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
                && HeaderUtilities.RemoveQuotes(disposition.Name).Equals("file", StringComparison.OrdinalIgnoreCase))
            {
                files++;
            }
        }
        if (files > 1)
        {
            throw new S3Exception(S3Error.InvalidArgument, "POST requires exactly one file upload per request.")
            {
                Details = [new("ArgumentName", "file"), new("ArgumentValue", files.ToString(CultureInfo.InvariantCulture))],
            };
        }
    }
}
