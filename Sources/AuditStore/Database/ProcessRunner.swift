import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs programs with `posix_spawn` and `waitpid`, capturing stdout and stderr together.
///
/// Foundation's `Process` waits through a run loop, which can hang when called from the cooperative
/// thread pool; this runner only blocks the calling thread. `package` access: the CLI tests use it too.
package enum ProcessRunner {
    package struct Failure: Error, CustomStringConvertible {
        let program: String
        let errno: Int32
        package var description: String { "cannot run \(program): \(String(cString: strerror(errno)))" }
    }

    /// A program started in the background, its output going to a file.
    package struct Child: Sendable {
        package let processID: pid_t

        /// Sends a signal (e.g. SIGKILL).
        package func signal(_ number: Int32) { kill(processID, number) }

        /// Waits for the exit and returns the status (128 + signal number when killed).
        package func wait() -> Int32 {
            var status: Int32 = 0
            while waitpid(processID, &status, 0) < 0 && errno == EINTR {}
            return ProcessRunner.exitCode(status)
        }
    }

    /// Runs a program to completion; `environment` replaces the inherited one when given.
    package static func run(
        _ path: String, _ arguments: [String], environment: [String: String]? = nil
    ) throws -> (status: Int32, output: String) {
        // Close-on-exec: a program spawned concurrently by another thread (a server, say) must not inherit the
        // write end, or this read would wait for that program to exit. dup2 in the child clears the flag on 1 and 2.
        // Glibc's module lacks pipe2, so the flag is set under the lock every spawn takes.
        var pipeEnds: [Int32] = [0, 0]
        let made = spawnLock.withLock { _ in
            guard pipe(&pipeEnds) == 0 else { return false }
            _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
            return true
        }
        guard made else { throw Failure(program: path, errno: errno) }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        let child: Child
        do {
            child = try spawn(path, arguments, environment: environment, outputDescriptor: writeEnd, closeInChild: readEnd)
        } catch {
            close(readEnd)
            close(writeEnd)
            throw error
        }
        close(writeEnd)
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(readEnd, &buffer, buffer.count)
            if count > 0 {
                output.append(contentsOf: buffer[0..<count])
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        close(readEnd)
        return (child.wait(), String(decoding: output, as: UTF8.self))
    }

    /// Starts a program in the background with stdout and stderr appended to `outputPath`.
    package static func start(
        _ path: String, _ arguments: [String], environment: [String: String]? = nil, outputPath: String
    ) throws -> Child {
        let descriptor = open(outputPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(program: outputPath, errno: errno) }
        defer { close(descriptor) }
        return try spawn(path, arguments, environment: environment, outputDescriptor: descriptor, closeInChild: nil)
    }

    private static func spawn(
        _ path: String, _ arguments: [String], environment: [String: String]?, outputDescriptor: Int32, closeInChild: Int32?
    ) throws -> Child {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 1)
        posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 2)
        if let closeInChild { posix_spawn_file_actions_addclose(&actions, closeInChild) }
        posix_spawn_file_actions_addclose(&actions, outputDescriptor)

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { variables in
            variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { envp?.forEach { free($0) } }
        var processID: pid_t = 0
        let spawned = spawnLock.withLock { _ in
            envp.map { posix_spawn(&processID, path, &actions, nil, argv, $0) }
                ?? posix_spawn(&processID, path, &actions, nil, argv, environ)
        }
        guard spawned == 0 else { throw Failure(program: path, errno: spawned) }
        return Child(processID: processID)
    }

    /// Serialises pipe creation and spawning, so no child inherits a pipe before it is marked close-on-exec.
    private static let spawnLock = Mutex(())

    static func exitCode(_ status: Int32) -> Int32 {
        (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
