// Local servers for the notification integration tests: a webhook receiver over HTTP and a
// minimal SMTP receiver over plain TCP, both on 127.0.0.1 with a port picked by the OS.
import http from "node:http";
import net from "node:net";

const HOST = "127.0.0.1";

export type ReceivedWebhook = { path: string; contentType: string | undefined; body: string };

export type WebhookServer = {
  /** Full URL including a secret-looking path, like a real incoming webhook. */
  url: string;
  received: ReceivedWebhook[];
  /** HTTP status of the next responses, or "hang" to never respond. */
  respondWith: (answer: number | "hang") => void;
  close: () => Promise<void>;
};

export async function startWebhookServer(path = "/services/T000/B000/s3cr3tT0ken"): Promise<WebhookServer> {
  const received: ReceivedWebhook[] = [];
  let answer: number | "hang" = 200;

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ path: request.url ?? "", contentType: request.headers["content-type"], body: Buffer.concat(chunks).toString("utf8") });
      if (answer === "hang") return;
      response.writeHead(answer, { "content-type": "text/plain" });
      response.end(answer < 300 ? "ok" : `error, see ${path}`);
    });
  });
  const port = await listen(server);

  return {
    url: `http://${HOST}:${port}${path}`,
    received,
    respondWith: (next) => {
      answer = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type ReceivedMail = { from: string; to: string[]; data: string };

export type SmtpServer = {
  url: string;
  received: ReceivedMail[];
  close: () => Promise<void>;
};

/**
 * Starts an SMTP receiver that speaks just enough of RFC 5321 for nodemailer: EHLO, MAIL, RCPT,
 * DATA, RSET, NOOP and QUIT, without STARTTLS or AUTH. With `rejectRecipients`, every RCPT gets
 * a permanent 550 reply.
 */
export async function startSmtpServer(options: { rejectRecipients?: boolean } = {}): Promise<SmtpServer> {
  const received: ReceivedMail[] = [];
  const sockets = new Set<net.Socket>();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());

    let buffer = "";
    let inData = false;
    let mail: ReceivedMail = { from: "", to: [], data: "" };
    const reply = (line: string) => socket.write(`${line}\r\n`);

    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("latin1");
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end === -1) return;
          // Undo dot-stuffing: a line that starts with "." was sent with an extra ".".
          mail.data = buffer.slice(0, end + 2).replace(/^\.\./gm, ".");
          buffer = buffer.slice(end + 5);
          inData = false;
          received.push(mail);
          mail = { from: "", to: [], data: "" };
          reply("250 2.0.0 OK queued");
          continue;
        }

        const lineEnd = buffer.indexOf("\r\n");
        if (lineEnd === -1) return;
        const line = buffer.slice(0, lineEnd);
        buffer = buffer.slice(lineEnd + 2);
        const verb = line.slice(0, 4).toUpperCase();

        if (verb === "EHLO" || verb === "HELO") reply("250 localhost");
        else if (verb === "MAIL") {
          mail.from = /<([^>]*)>/.exec(line)?.[1] ?? "";
          reply("250 2.1.0 OK");
        } else if (verb === "RCPT") {
          if (options.rejectRecipients) reply("550 5.1.1 Mailbox unavailable");
          else {
            mail.to.push(/<([^>]*)>/.exec(line)?.[1] ?? "");
            reply("250 2.1.5 OK");
          }
        } else if (verb === "DATA") {
          inData = true;
          reply("354 End data with <CR><LF>.<CR><LF>");
        } else if (verb === "RSET") {
          mail = { from: "", to: [], data: "" };
          reply("250 2.0.0 OK");
        } else if (verb === "NOOP") reply("250 2.0.0 OK");
        else if (verb === "QUIT") {
          reply("221 2.0.0 Bye");
          socket.end();

          return;
        } else reply("502 5.5.2 Command not implemented");
      }
    });

    reply("220 localhost ESMTP test receiver");
  });
  const port = await listen(server);

  return {
    url: `smtp://${HOST}:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Returns a port on 127.0.0.1 that nothing listened on when it was checked. */
export async function findClosedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));

  return port;
}

/** Decodes a quoted-printable body (RFC 2045) back to UTF-8 text. */
export function decodeQuotedPrintable(text: string): string {
  const unwrapped = text.replace(/=\r?\n/g, "");
  const bytes = unwrapped.replace(/=([0-9A-F]{2})/gi, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));

  return Buffer.from(bytes, "latin1").toString("utf8");
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        reject(new Error("could not read the port of the test server"));

        return;
      }
      resolve(address.port);
    });
  });
}
