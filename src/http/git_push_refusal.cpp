// src/http/git_push_refusal.cpp — reading a push's command list and writing the
// receive-pack result that rejects it (see the header; the formats are git's
// Documentation/gitprotocol-pack.txt, "Reference Update Request" and
// "Report Status", and gitprotocol-common.txt for pkt-lines).
#include "src/http/git_push_refusal.h"

#include <algorithm>
#include <cstdio>

namespace askfirst::http {

namespace {

// A pkt-line's length field counts itself (4 bytes); 65520 is the largest
// pkt-line git accepts (LARGE_PACKET_MAX, gitprotocol-common.txt).
constexpr std::size_t kMaxPktLine = 65520;
// side-band-64k: each band packet carries at most 65519 bytes after the band byte.
constexpr std::size_t kMaxBandPayload = kMaxPktLine - 4 - 1;
// A command is "<old-oid> <new-oid> <ref>": two hex object ids (SHA-1 40, SHA-256 64).
constexpr std::size_t kMinCommandLength = 40 + 1 + 40 + 1 + 1;

std::optional<std::size_t> hex4(std::string_view text) {
    if (text.size() < 4) return std::nullopt;
    std::size_t value = 0;
    for (char c : text.substr(0, 4)) {
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (digit < 0) return std::nullopt;
        value = value * 16 + static_cast<std::size_t>(digit);
    }
    return value;
}

std::string pkt_line(std::string_view payload) {
    char length[5];
    std::snprintf(length, sizeof length, "%04zx", payload.size() + 4);
    return std::string(length, 4) + std::string(payload);
}

std::vector<std::string> split_words(std::string_view text) {
    std::vector<std::string> words;
    while (!text.empty()) {
        const std::size_t space = text.find(' ');
        if (space != 0) words.emplace_back(text.substr(0, space));
        if (space == std::string_view::npos) break;
        text.remove_prefix(space + 1);
    }
    return words;
}

bool has(const std::vector<std::string>& words, std::string_view word) {
    return std::find(words.begin(), words.end(), word) != words.end();
}

// The ref of one command line; empty if the line is not a command.
std::string ref_of(std::string_view command) {
    if (command.size() < kMinCommandLength) return {};
    const std::size_t first = command.find(' ');
    const std::size_t second = first == std::string_view::npos ? first : command.find(' ', first + 1);
    if (second == std::string_view::npos || second + 1 >= command.size()) return {};
    return std::string(command.substr(second + 1));
}

// One line of the message for a pkt-line: no line breaks, bounded.
std::string report_text(std::string_view message) {
    std::string line(message.substr(0, 4096));
    for (char& c : line)
        if (c == '\n' || c == '\r' || c == '\0') c = ' ';
    return line;
}

}  // namespace

std::optional<PushCommands> read_push_commands(std::string_view body) {
    PushCommands push;
    bool first = true;
    while (true) {
        const auto length = hex4(body);
        if (!length) return std::nullopt;
        if (*length == 0) break;  // flush-pkt: the command list is complete
        if (*length < 4 || *length > kMaxPktLine || *length > body.size()) return std::nullopt;
        std::string_view line = body.substr(4, *length - 4);
        body.remove_prefix(*length);
        if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
        if (line.starts_with("shallow ")) continue;
        if (first) {
            const std::size_t nul = line.find('\0');
            if (nul != std::string_view::npos) {
                push.capabilities = split_words(line.substr(nul + 1));
                line = line.substr(0, nul);
            }
            first = false;
        }
        std::string ref = ref_of(line);
        if (ref.empty()) return std::nullopt;  // e.g. "push-cert": not answered this way
        push.refs.push_back(std::move(ref));
    }
    if (push.refs.empty()) return std::nullopt;
    return push;
}

LocalResponse git_push_rejection(const PushCommands& push, std::string_view message) {
    const std::string text = report_text(message);
    std::string report = pkt_line("unpack ok\n");
    for (const std::string& ref : push.refs) report += pkt_line("ng " + ref + " " + text + "\n");
    report += "0000";
    std::string body;
    if (has(push.capabilities, "side-band-64k") || has(push.capabilities, "side-band")) {
        // side-band (without 64k) limits packets to 1000 bytes: the same bound serves both.
        const std::size_t chunk = has(push.capabilities, "side-band-64k") ? kMaxBandPayload : 1000 - 4 - 1;
        body += pkt_line("\x02" + text.substr(0, chunk - 1) + "\n");
        for (std::size_t at = 0; at < report.size(); at += chunk) body += pkt_line("\x01" + report.substr(at, chunk));
        body += "0000";
    } else {
        body = report;
    }
    LocalResponse response{200, std::move(body), "application/x-git-receive-pack-result", ""};
    response.final_newline = false;  // the pkt-line stream ends at its flush-pkt
    return response;
}

}  // namespace askfirst::http
