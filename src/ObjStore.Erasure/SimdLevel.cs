using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace ObjStore.Erasure;

/// <summary>Which instruction set the GF kernels use. Lower levels are the test hooks for the wider ones.</summary>
public enum SimdLevel
{
    /// <summary>Table lookups, one byte at a time: the reference every vector path is compared against.</summary>
    Scalar = 0,

    /// <summary>16-byte nibble shuffles (SSSE3 PSHUFB, or AdvSimd TBL on Arm64).</summary>
    Vector128 = 1,

    /// <summary>32-byte nibble shuffles (AVX2 VPSHUFB).</summary>
    Vector256 = 2,
}

public static class SimdSupport
{
    /// <summary>The widest level this CPU (and the runtime's DOTNET_Enable* switches) allows.</summary>
    public static SimdLevel Best { get; } =
        Avx2.IsSupported ? SimdLevel.Vector256
        : Ssse3.IsSupported || AdvSimd.Arm64.IsSupported ? SimdLevel.Vector128
        : SimdLevel.Scalar;

    public static SimdLevel Clamp(SimdLevel requested) => requested <= Best ? requested : Best;
}
