import Tensors

extension Communicator {
    /// Runs a command's work with this communicator: `finish` once it has returned, `abort`
    /// with the error it threw (under mpirun the job then ends rather than waits for this rank).
    func running<T>(_ work: () throws -> T) rethrows -> T {
        do {
            let result = try work()
            finish()
            return result
        } catch {
            abort(reason: "\(error)")
            throw error
        }
    }
}
