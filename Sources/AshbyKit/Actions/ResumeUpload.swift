import AshbyJSON
import AsyncHTTPClient
import Foundation
import NIOCore

extension AshbyClient {
  /// Downloads a resume and attaches it to a candidate:
  /// `file.createFileUploadHandle`, a multipart POST to the returned URL, then
  /// `candidate.uploadResume`. Neither the download nor the upload carries the
  /// API key: they go to other hosts. Returns the updated Candidate.
  @discardableResult
  public func uploadResume(from url: String, candidate: String) async throws(AshbyError) -> JSONValue {
    let file = try await downloadResume(url)
    let handle = try await call(
      "file.createFileUploadHandle",
      [
        "fileUploadContext": "CandidateResume", "filename": .string(file.name),
        "contentType": .string(file.contentType), "contentLength": .int(Int64(file.bytes.readableBytes)),
      ])
    guard let uploadURL = handle["url"]?.string, let resumeHandle = handle["handle"]?.string else {
      throw AshbyError(
        .api, "file.createFileUploadHandle returned no url or handle", endpoint: "file.createFileUploadHandle")
    }
    try await postMultipart(to: uploadURL, fields: handle["fields"]?.object ?? [:], file: file)
    return try await call(
      "candidate.uploadResume", ["candidateId": .string(candidate), "resumeHandle": .string(resumeHandle)])
  }

  struct DownloadedFile {
    var name: String
    var contentType: String
    var bytes: ByteBuffer
  }

  /// http/https only, size-capped, at most 3 redirects, no credentials.
  func downloadResume(_ url: String) async throws(AshbyError) -> DownloadedFile {
    guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme)
    else { throw AshbyError.argument("resume_url", "only http and https resume URLs are fetched") }
    var request = HTTPClientRequest(url: url)
    request.method = .GET
    do {
      let response = try await Self.downloads.execute(request, timeout: .seconds(60))
      guard (200..<300).contains(response.status.code) else {
        throw AshbyError(
          .network, "downloading the resume failed: HTTP \(response.status.code) from \(parsed.host ?? url)")
      }
      let bytes = try await response.body.collect(upTo: configuration.maxResumeBytes)
      let last = (response.url ?? parsed).lastPathComponent  // after redirects
      let name = last.isEmpty || last == "/" ? "resume" : last
      let type = response.headers.first(name: "Content-Type")?.split(separator: ";").first.map(String.init)
      return DownloadedFile(name: name, contentType: type ?? "application/octet-stream", bytes: bytes)
    } catch let error as AshbyError {
      throw error
    } catch is NIOTooManyBytesError {
      throw AshbyError(.network, "the resume is larger than \(configuration.maxResumeBytes) bytes")
    } catch {
      throw AshbyError(.network, "downloading the resume failed: \(error)")
    }
  }

  private func postMultipart(to url: String, fields: [String: JSONValue], file: DownloadedFile) async throws(AshbyError)
  {
    let boundary = "ashby-lua-\(UUID().uuidString)"
    var body = ByteBuffer()
    for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
      let text = value.string ?? String(decoding: value.encoded(), as: UTF8.self)
      body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(text)\r\n")
    }
    body.writeString(
      "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.name)\"\r\nContent-Type: \(file.contentType)\r\n\r\n"
    )
    var bytes = file.bytes
    body.writeBuffer(&bytes)
    body.writeString("\r\n--\(boundary)--\r\n")
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
    request.body = .bytes(body)
    do {
      let response = try await Self.downloads.execute(request, timeout: .seconds(60))
      guard (200..<300).contains(response.status.code) else {
        throw AshbyError(.network, "uploading the resume failed: HTTP \(response.status.code)")
      }
    } catch let error as AshbyError {
      throw error
    } catch {
      throw AshbyError(.network, "uploading the resume failed: \(error)")
    }
  }

  /// A client for other hosts (resume downloads and uploads): no auth header, bounded redirects.
  static let downloads: HTTPClient = {
    var c = HTTPClient.Configuration()
    c.redirectConfiguration = .follow(max: 3, allowCycles: false)
    c.timeout = .init(connect: .seconds(10), read: .seconds(60))
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
  }()
}
