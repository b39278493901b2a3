import ArgumentParser
import Foundation

@main
struct RAMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ram",
        abstract: "Run and inspect RAM, the all-in-one image restoration network, on the CPU.",
        discussion: """
            With no subcommand, opens the viewer on the bundled sample (a demo).
            Exit status: 0 ok, 64 usage error, 65 bad input data, 66 input missing,
            70 internal error, 73 cannot write output, 130 interrupted.
            """,
        subcommands: [
            View.self, Restore.self, Degrade.self, Eval.self, Features.self, Diff.self, Info.self, Bench.self,
        ],
        defaultSubcommand: View.self
    )
}
