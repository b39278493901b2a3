import Foundation
import Testing

/// `ram bench` and its subcommands, and `--precision`, through the real binary.
@Suite(.serialized) struct BenchCLITests {
    func json(_ r: CLI.Result) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    /// `ram bench` without a subcommand is the network timing; `make bench` reads its JSON.
    @Test func networkTimingIsTheDefault() throws {
        let r = try CLI.run(["bench", "--weights", CLI.tinyWeights, "--sizes", "16,24", "--runs", "1", "--no-sgemm", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let list = try #require(try json(r) as? [[String: Any]])
        #expect(list.count == 2)
        #expect(list.map { $0["size"] as? Int } == [16, 24])
        for t in list {
            #expect((t["median_s"] as? Double ?? 0) > 0)
            #expect((t["gflop"] as? Double ?? 0) > 0)
            #expect(t["precision"] as? String == "fp32")
            #expect((t["stages_ms"] as? [String: Double])?.count == 6)
            #expect(t["sgemm_gflops"] == nil)
        }
        let named = try CLI.run(["bench", "network", "--weights", CLI.tinyWeights, "--sizes", "16", "--runs", "1", "--no-sgemm"])
        #expect(named.status == 0 && named.stdout.contains("16x16:") && named.stdout.contains("channel attention"))
    }

    @Test func benchSwitchesReachTheContext() throws {
        let r = try CLI.run(["bench", "--weights", CLI.tinyWeights, "--sizes", "16", "--runs", "1", "--no-sgemm", "--json",
                             "--threads", "2", "--blas-threads", "2", "--no-skinny", "--no-fuse"])
        #expect(r.status == 0, "\(r.stderr)")
        let t = try #require((try json(r) as? [[String: Any]])?.first)
        #expect(t["blas_threads"] as? Int == 2 && t["split_columns"] as? Bool == false && t["kernel_threads"] as? Int == 2)
    }

    /// `ram bench shapes` lists the products per precision; bf16 the same shapes where the CPU
    /// has AVX512_BF16, else it says it is not available.
    @Test func shapesPerPrecision() throws {
        let r = try CLI.run(["bench", "shapes", "--weights", CLI.tinyWeights, "--sizes", "16", "--runs", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let reports = try #require(try json(r) as? [[String: Any]])
        #expect(reports.map { $0["precision"] as? String } == ["fp32", "bf16"])
        let fp32 = try #require(reports.first?["shapes"] as? [[String: Any]])
        #expect(!fp32.isEmpty && fp32.allSatisfy { ($0["gflops"] as? Double ?? 0) > 0 && ($0["calls"] as? Int ?? 0) > 0 })
        #expect(fp32.contains { ($0["shape"] as? String)?.hasPrefix("3x3 ") == true })
        let bf16 = reports[1]["shapes"] as? [[String: Any]] ?? []
        let text = try CLI.run(["bench", "shapes", "--weights", CLI.tinyWeights, "--sizes", "16", "--runs", "1", "--precision", "bf16,fp32"])
        #expect(text.status == 0)
        if CLI.cpuHasBF16 {
            #expect(reports[1]["available"] as? Bool == true)
            #expect(Set(bf16.compactMap { $0["shape"] as? String }) == Set(fp32.compactMap { $0["shape"] as? String }))
            #expect(bf16.allSatisfy { ($0["gflops"] as? Double ?? 0) > 0 })
            #expect(text.stdout.contains("bf16 ms  GFLOP/s") && text.stdout.contains("fp32 ms  GFLOP/s"))
        } else {
            #expect(reports[1]["available"] as? Bool == false && bf16.isEmpty)
            #expect(text.stdout.contains("bf16: not available") && text.stdout.contains("fp32 ms  GFLOP/s"))
        }
        let bad = try CLI.run(["bench", "shapes", "--precision", "fp16"])
        #expect(bad.status == 64 && bad.stderr.hasPrefix("ram: error:") && bad.stderr.split(separator: "\n").count == 1)
    }

    /// Without AVX512_BF16, bf16 is refused by every command that runs the network, in one
    /// line, before any work; with it, every command accepts it (restore, eval and view then
    /// fail on the missing input instead, 66; bench runs).
    @Test func bf16IsRefusedInOneLineWhereTheCPUHasNoBF16() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for args in [["restore", "in.png", dir + "/out.png"], ["eval", "in.png"], ["view", "in.png"], ["bench", "--sizes", "16", "--runs", "1", "--no-sgemm"]] {
            let r = try CLI.run(args + ["--precision", "bf16"])
            if CLI.cpuHasBF16 && args[0] == "bench" {
                #expect(r.status == 0 && r.stdout.contains("16x16:"), "\(args): \(r.stderr)")
                continue
            }
            if CLI.cpuHasBF16 {
                #expect(r.status == 66 && !r.stderr.contains("precision"), "\(args): \(r.stderr)")
            } else {
                #expect(r.status == 64, "\(args): \(r.stderr)")
                #expect(r.stderr.hasPrefix("ram: error: --precision bf16 is not available"), "\(args): \(r.stderr)")
            }
            #expect(r.stderr.split(separator: "\n").count == 1)
        }
        #expect(CLI.files(dir).isEmpty)
    }
}
