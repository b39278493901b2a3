import ArgumentParser
import TensorCore

extension Precision: ExpressibleByArgument {}

/// `--precision`: the number format of the network's products, for the commands that run it
/// (restore, view, eval, bench). Turned into the `ExecutionContext` every pass runs under.
struct ExecutionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Number format of the network's products: fp32 (matches the PyTorch reference) or bf16 (bfloat16 operands, fp32 sums; not available in this build yet).",
        valueName: "fp32|bf16"))
    var precision: Precision = .fp32

    func validate() throws {
        if !precision.isAvailable {
            throw ValidationError("--precision \(precision) is not available in this build (bf16 kernels are not implemented yet); use --precision fp32")
        }
    }

    /// The context of a restoration: all cores, the default BLAS policy and kernels.
    var context: ExecutionContext { ExecutionContext(precision: precision) }
}
