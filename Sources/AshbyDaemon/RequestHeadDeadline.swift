import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers 408 and closes a connection whose first request head has not
/// arrived within `limit` of it opening, and closes (silently, as an idle
/// keep-alive connection is closed) one whose next head has not arrived
/// within `limit` of the last response: a client that dribbles its headers
/// is cut off as one that dribbles its body is (`HookServer.readBody`), and
/// holds its connection for seconds, not for ever. An unasked-for 408 on a
/// kept-alive connection could be read as the answer to the client's next request.
final class RequestHeadDeadline: ChannelDuplexHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPRequestPart
  typealias InboundOut = HTTPRequestPart
  typealias OutboundIn = HTTPResponsePart
  typealias OutboundOut = HTTPResponsePart

  let limit: TimeAmount
  private var timer: Scheduled<Void>?
  private var answered = false

  init(limit: TimeAmount) { self.limit = limit }

  func handlerAdded(context: ChannelHandlerContext) {
    if context.channel.isActive { arm(context) }
  }

  func channelActive(context: ChannelHandlerContext) {
    arm(context)
    context.fireChannelActive()
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    timer?.cancel()
    timer = nil
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    if case .head = unwrapInboundIn(data) {
      timer?.cancel()
      timer = nil
    }
    context.fireChannelRead(data)
  }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    let ended = if case .end = unwrapOutboundIn(data) { true } else { false }
    context.write(data, promise: promise)
    if ended {
      answered = true
      arm(context)  // the next request's head has the same time to arrive
    }
  }

  private func arm(_ context: ChannelHandlerContext) {
    timer?.cancel()
    let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
    timer = context.eventLoop.scheduleTask(in: limit) {
      let (handler, context) = bound.value
      handler.timedOut(context)
    }
  }

  private func timedOut(_ context: ChannelHandlerContext) {
    timer = nil
    guard !answered else {
      context.close(promise: nil)
      return
    }
    var head = HTTPResponse(status: .requestTimeout)
    head.headerFields[.connection] = "close"
    head.headerFields[.contentLength] = "0"
    context.write(wrapOutboundOut(.head(head)), promise: nil)
    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    context.close(promise: nil)
  }
}
