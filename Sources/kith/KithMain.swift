import ArgumentParser
import KithCLI

/// Entry point: parse, then run the (possibly asynchronous) subcommand.
@main
enum KithMain {
    static func main() async {
        do {
            var command = try KithCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            KithCommand.exit(withError: error)
        }
    }
}
