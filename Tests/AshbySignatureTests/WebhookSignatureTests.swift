import AshbySignature
import Foundation
import Testing

/// Ashby's webhook signature: HMAC-SHA256 of the raw body, `sha256=<hex>`.
@Suite struct WebhookSignatureTests {
  @Test func theSignatureIsHMACSHA256OfTheRawBody() {
    // RFC 4231, test case 2.
    let body = Data("what do ya want for nothing?".utf8)
    let expected = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    #expect(WebhookSignature.sign(body, secret: "Jefe") == expected)
    #expect(WebhookSignature.verify(expected, body: body, secret: "Jefe"))
    #expect(WebhookSignature.verify(expected.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="), body: body, secret: "Jefe"))
    #expect(!WebhookSignature.verify(expected, body: body + Data([0x20]), secret: "Jefe"))
    #expect(!WebhookSignature.verify(expected, body: body, secret: "jefe"))
    for bad in [nil, "", "sha256=", String(expected.dropLast()), expected + "0", "md5=" + expected.dropFirst(7), "sha256=" + String(repeating: "g", count: 64)] {
      #expect(!WebhookSignature.verify(bad, body: body, secret: "Jefe"))
    }
  }
  @Test func aSignatureOfOtherBytesOrAnotherFormIsRefused() {
    let body = Data("{\"a\":1}".utf8)
    let good = WebhookSignature.sign(body, secret: "s")
    #expect(WebhookSignature.verify(good.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="), body: body, secret: "s"))
    for bad in [nil, "", "sha256=", String(good.dropLast()), good + "0", "sha1=" + good.dropFirst(7), "sha256=" + String(repeating: "z", count: 64)] {
      #expect(!WebhookSignature.verify(bad, body: body, secret: "s"), "\(bad ?? "nil")")
    }
    #expect(!WebhookSignature.verify(good, body: body + Data(" ".utf8), secret: "s"))
    #expect(!WebhookSignature.verify(good, body: body, secret: "t"))
    #expect(WebhookSignature.newSecret().count == 64 && WebhookSignature.newSecret() != WebhookSignature.newSecret())
  }
}
