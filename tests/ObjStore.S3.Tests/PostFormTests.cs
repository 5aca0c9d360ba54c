using System.Text;
using ObjStore.S3.Post;

namespace ObjStore.S3.Tests;

/// <summary>The multipart/form-data reader of POST Object: what precedes the file, the file as a stream, what follows.</summary>
public class PostFormTests
{
    private const string Boundary = "----objstore-boundary";
    private const string ContentType = "multipart/form-data; boundary=" + Boundary;

    private static MemoryStream Body(params (string Name, string? FileName, string Value)[] parts)
    {
        var text = new StringBuilder();
        foreach (var (name, fileName, value) in parts)
        {
            text.Append("--").Append(Boundary).Append("\r\n");
            text.Append("Content-Disposition: form-data; name=\"").Append(name).Append('"');
            if (fileName is not null)
            {
                text.Append("; filename=\"").Append(fileName).Append('"');
            }
            text.Append("\r\n\r\n").Append(value).Append("\r\n");
        }
        text.Append("--").Append(Boundary).Append("--\r\n");
        return new MemoryStream(Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static async Task<string> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return Encoding.UTF8.GetString(copy.ToArray());
    }

    [Fact]
    public async Task FieldsBeforeTheFileAreReadAndTheFileStreams()
    {
        var form = await PostForm.ReadAsync(ContentType,
            Body(("Key", null, "user/${filename}"), ("x-amz-meta-a", null, "1"), ("x-amz-meta-a", null, "2"), ("file", @"C:\dir\photo.jpg", "the bytes"), ("submit", null, "Upload")),
            CancellationToken.None);
        Assert.Equal("user/${filename}", form.Fields.Get("key"));
        Assert.Equal("1,2", form.Fields.Get("X-AMZ-META-A"));
        Assert.Equal("photo.jpg", form.File!.FileName);
        form.Fields.ExpandFileName(form.File.FileName!);
        Assert.Equal("user/photo.jpg", form.Fields.Get("key"));
        Assert.Equal("the bytes", await ReadAllAsync(form.File));
        Assert.Null(form.Fields.Get("submit")); // after the file: ignored
        Assert.Equal(["Key", "x-amz-meta-a"], form.Fields.Names);
    }

    [Fact]
    public async Task NoFilePartLeavesNoFile()
    {
        var form = await PostForm.ReadAsync(ContentType, Body(("key", null, "k"), ("notfile", "a.txt", "x")), CancellationToken.None);
        Assert.Null(form.File);
        Assert.Equal("x", form.Fields.Get("notfile"));
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded", "PreconditionFailed", 412)]
    [InlineData(null, "PreconditionFailed", 412)]
    [InlineData("multipart/form-data", "MalformedPOSTRequest", 400)]
    public async Task OnlyMultipartFormDataWithABoundaryIsAForm(string? contentType, string code, int status)
    {
        var e = await Assert.ThrowsAsync<S3Exception>(() => PostForm.ReadAsync(contentType, Body(("key", null, "k")), CancellationToken.None));
        Assert.Equal((code, status), (e.Error.Code, e.Error.Status));
        if (status == 412)
        {
            Assert.Contains(e.Details, d => d.Key == "Condition" && d.Value == "Bucket POST must be of the enclosure-type multipart/form-data");
        }
    }

    [Fact]
    public async Task BrokenFramingIsMalformedPostRequest()
    {
        var body = new MemoryStream(Encoding.UTF8.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk")); // never closed
        var e = await Assert.ThrowsAsync<S3Exception>(() => PostForm.ReadAsync(ContentType, body, CancellationToken.None));
        Assert.Equal("MalformedPOSTRequest", e.Error.Code);
    }

    [Theory]
    [InlineData(20_000, false)]
    [InlineData(20_480, true)]
    public async Task FieldsBeforeTheFileAreLimitedTo20KiB(int valueLength, bool refused)
    {
        var read = PostForm.ReadAsync(ContentType, Body(("key", null, "k"), ("x-amz-meta-big", null, new string('v', valueLength)), ("file", "f", "x")), CancellationToken.None);
        if (!refused)
        {
            Assert.NotNull((await read).File);
            return;
        }
        var e = await Assert.ThrowsAsync<S3Exception>(() => read);
        Assert.Equal(("MaxPostPreDataLengthExceeded", 400), (e.Error.Code, e.Error.Status));
        Assert.Contains(e.Details, d => d.Key == "MaxPostPreDataLengthBytes" && d.Value == "20480");
    }

    [Fact]
    public async Task TheFileStopsBeingReadOnceTooLarge()
    {
        var form = await PostForm.ReadAsync(ContentType, Body(("file", "f", new string('x', 100_000))), CancellationToken.None);
        form.File!.Limit(0, 10);
        var buffer = new byte[64 * 1024];
        var e = await Assert.ThrowsAsync<S3Exception>(async () =>
        {
            while (await form.File.ReadAsync(buffer) > 0)
            {
            }
        });
        Assert.Equal("EntityTooLarge", e.Error.Code);
        Assert.Contains(e.Details, d => d.Key == "MaxSizeAllowed" && d.Value == "10");
    }

    [Theory]
    [InlineData(4, "EntityTooSmall")]
    [InlineData(5, null)]
    [InlineData(10, null)]
    [InlineData(11, "EntityTooLarge")]
    public async Task ContentLengthRangeIsInclusive(int size, string? error)
    {
        var form = await PostForm.ReadAsync(ContentType, Body(("file", "f", new string('x', size))), CancellationToken.None);
        form.File!.Limit(5, 10);
        if (error is null)
        {
            Assert.Equal(size, (await ReadAllAsync(form.File)).Length);
            return;
        }
        var e = await Assert.ThrowsAsync<S3Exception>(() => ReadAllAsync(form.File));
        Assert.Equal(error, e.Error.Code);
    }

    [Fact]
    public async Task ASecondFileIsRefusedAtTheEndOfTheFirst()
    {
        var form = await PostForm.ReadAsync(ContentType, Body(("file", "a", "one"), ("File", "b", "two")), CancellationToken.None);
        var e = await Assert.ThrowsAsync<S3Exception>(() => ReadAllAsync(form.File!));
        Assert.Equal(("InvalidArgument", "POST requires exactly one file upload per request."), (e.Error.Code, e.Message));
    }
}
