using ObjStore.Access.Policies;

namespace ObjStore.Access.Tests;

/// <summary>Requests and one-statement policies, so that each test states only what it is about.</summary>
internal static class PolicyTestKit
{
    public const string Bucket = "amzn-s3-demo-bucket";

    public static readonly Principal Alice = Principal.User("alice", "c0ffee0000000000000000000000a11c");
    public static readonly Principal Bob = Principal.User("bob", "c0ffee00000000000000000000000b0b");
    public static readonly Principal Root = Principal.Root("c0ffee000000000000000000000000f0");

    public static AccessRequest Get(string key, Principal? principal = null, ConditionContext? conditions = null) =>
        new("s3:GetObject", AccessRequest.ObjectArn(Bucket, key), principal ?? Alice, conditions ?? new ConditionContext());

    public static AccessRequest Request(string action, string resource, Principal? principal = null, ConditionContext? conditions = null) =>
        new(action, resource, principal ?? Alice, conditions ?? new ConditionContext());

    public static PolicyDocument BucketPolicy(string statements) =>
        PolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[""" + statements + "]}", PolicyKind.Resource);

    public static PolicyDocument Identity(string statements) =>
        PolicyDocument.Parse("""{"Version":"2012-10-17","Statement":[""" + statements + "]}", PolicyKind.Identity);

    /// <summary>An identity policy allowing s3:GetObject on everything under one condition block.</summary>
    public static PolicyDocument AllowWhen(string condition) =>
        Identity("""{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":""" + condition + "}");

    /// <summary>Whether a condition block holds for a request with these keys.</summary>
    public static bool Holds(string condition, ConditionContext context) =>
        AllowWhen(condition).Evaluate(Get("k", conditions: context)) == PolicyEffect.Allow;

    public static string Malformed(string json, PolicyKind kind = PolicyKind.Resource) =>
        Assert.Throws<MalformedPolicyException>(() => PolicyDocument.Parse(json, kind)).Message;
}
