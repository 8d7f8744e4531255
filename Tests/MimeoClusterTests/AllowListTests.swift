import Foundation
import MimeoCluster
import MimeoTestSupport
import MimeoZMQ
import Testing

/// `--allow-keys` files: Z85 keys may hold `#`, so only whole lines that are not keys are comments.
@Suite struct AllowListTests {
    /// Keys drawn from a seeded stream until `accept` holds.
    private func key(where accept: (String) -> Bool, seed: UInt64) throws -> ZMQCurveKey {
        var random = SplitMix64(seed: seed)
        for _ in 0..<100_000 {
            let bytes = (0..<4).flatMap { _ in withUnsafeBytes(of: random.next()) { Array($0) } }
            let key = try ZMQCurveKey(bytes: bytes)
            if accept(key.z85) { return key }
        }
        throw TestSupportError("no such key in 100,000 draws")
    }

    @Test func keysContainingHashAreKeysAndHashLinesAreComments() throws {
        // A key's first Z85 digit encodes a 32-bit group's top part, at most 82: '#' (84) never starts a key.
        #expect(throws: TestSupportError.self) { try key(where: { $0.hasPrefix("#") }, seed: 1) }
        let leading = try key(where: { $0.hasSuffix("#") }, seed: 1)
        let inner = try key(where: { $0.dropFirst().dropLast().contains("#") }, seed: 2)
        let plain = try key(where: { !$0.contains("#") }, seed: 3)
        let directory = try TemporaryDirectory()
        let file = try directory.write("""
            # workers
            \(leading.z85)
              \(inner.z85)

            #a comment that happens to be long enough to be mistaken for something
            \(plain.z85)
            """, to: "allowed.pub")
        #expect(try CurveServerKeys.readAllowList(file) == [leading, inner, plain])
    }

    @Test func aLineThatIsNotAKeyNamesItsLine() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("# ok\nnot-a-key\n", to: "allowed.pub")
        #expect(throws: ClusterError.self) { try CurveServerKeys.readAllowList(file) }
        do {
            _ = try CurveServerKeys.readAllowList(file)
        } catch let error as ClusterError {
            #expect(error.description.contains("allowed.pub:2"))
        }
    }
}
