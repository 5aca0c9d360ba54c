namespace ObjStore.Access.Tests;

/// <summary>Condition keys: names case-insensitive, what follows the '/' (a tag key) case-sensitive; values computed once.</summary>
public class ConditionContextTests
{
    [Fact]
    public void KeyNamesIgnoreCaseButTagKeysDoNot()
    {
        int asked = 0;
        var context = new ConditionContext(key =>
        {
            asked++;
            return key switch
            {
                "aws:SourceIp" or "AWS:SOURCEIP" or "aws:sourceip" => ["127.0.0.1"],
                "s3:RequestObjectTag/env" or "S3:requestobjecttag/env" => ["ok"],
                "s3:RequestObjectTag/Env" => ["bad"],
                _ => null,
            };
        });
        Assert.True(context.TryGet("aws:SourceIp", out var ip));
        Assert.Equal(["127.0.0.1"], ip);
        Assert.True(context.TryGet("AWS:SOURCEIP", out _));
        Assert.Equal(1, asked); // remembered under either spelling

        Assert.True(context.TryGet("s3:RequestObjectTag/env", out var lower));
        Assert.True(context.TryGet("s3:RequestObjectTag/Env", out var upper));
        Assert.Equal(["ok"], lower);
        Assert.Equal(["bad"], upper);
        Assert.True(context.TryGet("S3:requestobjecttag/env", out var again));
        Assert.Equal(["ok"], again);
        Assert.Equal(3, asked);

        Assert.False(context.TryGet("s3:prefix", out var absent));
        Assert.Empty(absent);
        Assert.False(context.TryGet("S3:Prefix", out _));
        Assert.Equal(4, asked); // an absent key is remembered as absent
    }

    [Fact]
    public void ValuesSetUpFrontNeedNoResolver()
    {
        var context = new ConditionContext().Set("aws:username", "alice").Set("s3:RequestObjectTagKeys", ["a", "b"]).Set("s3:VersionId", (string?)null);
        Assert.True(context.TryGet("AWS:UserName", out var name));
        Assert.Equal(["alice"], name);
        Assert.True(context.TryGet("s3:requestobjecttagkeys", out var keys));
        Assert.Equal(["a", "b"], keys);
        Assert.False(context.TryGet("s3:VersionId", out _));
    }
}
