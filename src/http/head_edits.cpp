// src/http/head_edits.cpp — applying HeadEdits to a raw request head (see the header).
#include "src/http/head_edits.h"

#include <algorithm>
#include <cstring>

#include "classifiers/classification.h"

namespace askfirst::http {

// glibc's explicit_bzero is memset that the compiler may not drop, the same
// promise as OPENSSL_cleanse; OpenSSL's is a word-at-a-time loop, and a
// bulk upload wipes every body byte it relays (7 % of askfirstd's CPU on a
// TLS PUT, measured; issue 17).
void wipe_bytes(void* bytes, std::size_t count) {
    if (count > 0) explicit_bzero(bytes, count);
}

void wipe_string(std::string& text) {
    wipe_bytes(text.data(), text.size());
    text.clear();
}

HeadEdit::~HeadEdit() { wipe_string(to); }

void append_wiping(std::string& out, std::string_view more) {
    const std::size_t needed = out.size() + more.size();
    if (needed > out.capacity()) {
        std::string grown;
        grown.reserve(std::max(needed, 2 * out.capacity()));
        grown.append(out);
        wipe_string(out);
        out.swap(grown);  // the wiped old buffer leaves with `grown`
    }
    out.append(more);
}

void erase_front_wiping(std::string& text, std::size_t count) {
    count = std::min(count, text.size());
    const std::size_t rest = text.size() - count;
    wipe_bytes(text.data(), count);
    std::memmove(text.data(), text.data() + count, rest);
    wipe_bytes(text.data() + rest, count);  // the old tail, still inside the string
    text.resize(rest);
}

void wipe_fields(HeaderFields& fields) {
    for (auto& field : fields) wipe_string(field.second);
    fields.clear();
}

namespace {

constexpr std::string_view kCrlf = "\r\n";

// text[at, at + length) becomes `to` in a fresh buffer; the old one is wiped.
void replace_wiping(std::string& text, std::size_t at, std::size_t length, std::string_view to) {
    std::string next;
    next.reserve(text.size() - length + to.size());
    next.append(text, 0, at);
    next.append(to);
    next.append(text, at + length);
    wipe_string(text);
    text.swap(next);
}

void replace_all(std::string& text, std::size_t from_offset, std::string_view from, std::string_view to) {
    if (from.empty()) return;
    for (std::size_t at = text.find(from, from_offset); at != std::string::npos; at = text.find(from, at + to.size()))
        replace_wiping(text, at, from.size(), to);
}

bool line_is_header(std::string_view line, std::string_view name, std::size_t& value_start) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !classifiers::equals_ignoring_ascii_case(line.substr(0, colon), name))
        return false;
    value_start = colon + 1;
    while (value_start < line.size() && (line[value_start] == ' ' || line[value_start] == '\t')) ++value_start;
    return true;
}

void apply_one(std::vector<std::string>& lines, const HeadEdit& edit) {
    if (lines.empty()) return;
    if (edit.kind == HeadEdit::Kind::replace_in_target) {
        std::string& request_line = lines.front();
        const std::size_t target = request_line.find(' ');
        const std::size_t version = request_line.rfind(' ');
        if (target == std::string::npos || version <= target) return;
        const std::size_t at = request_line.find(edit.from, target + 1);
        if (at == std::string::npos || at + edit.from.size() > version) return;
        replace_wiping(request_line, at, edit.from.size(), edit.to);
        return;
    }
    for (std::size_t i = 1; i < lines.size(); ++i) {
        std::size_t value_start = 0;
        if (!line_is_header(lines[i], edit.header, value_start)) continue;
        if (edit.kind == HeadEdit::Kind::set_header) {
            replace_wiping(lines[i], value_start, lines[i].size() - value_start, edit.to);
            return;
        }
        replace_all(lines[i], value_start, edit.from, edit.to);
    }
    if (edit.kind == HeadEdit::Kind::set_header) lines.push_back(edit.header + ": " + edit.to);
}

void apply_one_to_fields(HeaderFields& fields, const HeadEdit& edit) {
    if (edit.kind == HeadEdit::Kind::replace_in_target) {
        for (auto& [name, value] : fields) {
            if (name != ":path") continue;
            const std::size_t at = value.find(edit.from);
            if (at != std::string::npos) replace_wiping(value, at, edit.from.size(), edit.to);
            return;
        }
        return;
    }
    for (auto& [name, value] : fields) {
        if (!classifiers::equals_ignoring_ascii_case(name, edit.header)) continue;
        if (edit.kind == HeadEdit::Kind::set_header) {
            replace_wiping(value, 0, value.size(), edit.to);
            return;
        }
        replace_all(value, 0, edit.from, edit.to);
    }
    if (edit.kind != HeadEdit::Kind::set_header) return;
    std::string lower = edit.header;
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    fields.emplace_back(std::move(lower), edit.to);
}

}  // namespace

void apply_field_edits(HeaderFields& fields, const HeadEdits& edits) {
    // Room for every field a set_header may add: a vector that grows moves
    // short (in-place) strings by copying them into the new buffer.
    fields.reserve(fields.size() + edits.size());
    for (const HeadEdit& edit : edits) apply_one_to_fields(fields, edit);
}

bool needs_body_to_resign(const classifiers::HttpRequest& head) {
    return head.header("authorization").starts_with("AWS4-HMAC-SHA256") &&
           !head.has_header("x-amz-content-sha256");
}

std::string apply_head_edits(std::string_view raw_head, const HeadEdits& edits) {
    if (edits.empty()) return std::string(raw_head);
    // Lines without their CRLF; the head's final blank line is put back at the end.
    std::vector<std::string> lines;
    std::string_view rest = raw_head;
    while (!rest.empty()) {
        const std::size_t end = rest.find(kCrlf);
        if (end == 0) break;  // the blank line
        lines.emplace_back(rest.substr(0, end));
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end + kCrlf.size());
    }
    lines.reserve(lines.size() + edits.size());  // see apply_field_edits
    for (const HeadEdit& edit : edits) apply_one(lines, edit);
    std::size_t size = kCrlf.size();
    for (const std::string& line : lines) size += line.size() + kCrlf.size();
    std::string head;
    head.reserve(size);  // one buffer: no copy of a secret left in a smaller one
    for (std::string& line : lines) {
        head += line;
        head += kCrlf;
        wipe_string(line);
    }
    head += kCrlf;
    return head;
}

}  // namespace askfirst::http
