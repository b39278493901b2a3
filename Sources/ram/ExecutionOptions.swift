import ArgumentParser
import TensorCore

extension Precision: ExpressibleByArgument {}

/// `--precision`: the number format of the network's products, for the commands that run it
/// (restore, view, eval, bench). Turned into the `ExecutionContext` every pass runs under.
struct ExecutionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Number format of the network's products: fp32 (matches the PyTorch reference) or bf16 (bfloat16 operands, fp32 sums: faster, within ~1e-2 of fp32; CPUs with AVX512_BF16).",
        valueName: "fp32|bf16"))
    var precision: Precision = .fp32

    func validate() throws {
        if !precision.isAvailable {
            throw ValidationError("--precision \(precision) is not available on this CPU (it has no AVX512_BF16); use --precision fp32")
        }
    }

    /// The context of a restoration: all cores, the default BLAS policy and kernels.
    var context: ExecutionContext { ExecutionContext(precision: precision) }
}
