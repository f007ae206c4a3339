import Foundation
import Hummingbird

/// An RFC 9457 problem: what went wrong, said so that a person can act on it.
struct Problem: Error, Sendable {
    var status: HTTPResponse.Status
    /// A stable machine key (`missing_scope`, `bad_cursor`, …), also the last part of `type`.
    var code: String
    var detail: String
    var headers: HTTPFields = [:]
    /// What only the operator may read (file paths, pids, the underlying error): written to the
    /// server's standard error, never sent to the client.
    var operatorDetail: String?

    init(
        _ status: HTTPResponse.Status, _ code: String, _ detail: String, headers: HTTPFields = [:],
        operatorDetail: String? = nil
    ) {
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
        self.operatorDetail = operatorDetail
    }

    struct Body: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var instance: String
        var code: String
    }

    func response(instance: String) -> Response {
        let body = Body(
            type: "https://kith.invalid/problems/\(code)", title: status.reasonPhrase, status: status.code,
            detail: detail,
            instance: instance, code: code)
        var headers = headers
        headers[.contentType] = "application/problem+json"
        let data = (try? Reply.encoder.encode(body)) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
