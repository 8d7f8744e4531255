import ArgumentParser
import Foundation
import MimeoData

/// Refuses a command whose output would replace one of its inputs (or another of its outputs) before any work.
enum OutputSafety {
    /// Checks that no output names the same file as an input or as another output, comparing device and
    /// inode numbers after following symbolic links (so a symbolic or hard link to an input is caught).
    /// Outputs that are written through (`-`, FIFOs, devices) destroy nothing and are not compared.
    ///
    /// - Parameters:
    ///   - inputs: `(option, path)` pairs: the option as the user wrote it (`--real`, `<input>`) and its path.
    ///   - outputs: `(option, path)` pairs of the files the command will write.
    /// - Throws: `ExitCode.validationFailure` (64) after printing which two options name the same file;
    ///   `DataError` if an output path is a directory or cannot be inspected.
    static func check(inputs: [(option: String, path: String?)], outputs: [(option: String, path: String?)]) throws {
        let readFiles = inputs.compactMap { input in
            input.path.flatMap { path in FileIdentity(path: path).map { (input.option, path, $0) } }
        }
        var written: [(option: String, path: String, key: String)] = []
        for case let (option, path?) in outputs {
            guard case .file(let target) = try OutputTarget(path: path) else { continue }
            let identity = FileIdentity(path: target)
            if let identity, let (inputOption, inputPath, _) = readFiles.first(where: { $0.2 == identity }) {
                try refuse("\(option) '\(path)' and \(inputOption) '\(inputPath)' are the same file: writing the output "
                           + "would destroy the input. Choose another output path.")
            }
            // A file that does not exist yet is known by its directory's identity and its name.
            let key: String
            if let identity {
                key = "\(identity.device):\(identity.inode)"
            } else {
                let slash = target.lastIndex(of: "/")
                let directory = slash.map { String(target[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
                let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
                let parent = FileIdentity(path: directory).map { "\($0.device):\($0.inode)" } ?? directory
                key = "\(parent)/\(name)"
            }
            if let other = written.first(where: { $0.key == key }) {
                try refuse("\(other.option) '\(other.path)' and \(option) '\(path)' are the same file. "
                           + "Choose different output paths.")
            }
            written.append((option, path, key))
        }
    }

    private static func refuse(_ message: String) throws -> Never {
        Terminal.message("Error: \(message)")
        throw ExitCode.validationFailure
    }
}
