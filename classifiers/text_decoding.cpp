// classifiers/text_decoding.cpp — see classifiers/text_decoding.h.
#include "classifiers/text_decoding.h"

namespace askfirst::classifiers {

int percent_escape_at(std::string_view text, std::size_t at) {
    if (at + 2 >= text.size() || text[at] != '%') return -1;
    const int high = hex_digit_value(text[at + 1]);
    const int low = hex_digit_value(text[at + 2]);
    if (high < 0 || low < 0) return -1;
    return high * 16 + low;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (const int byte = percent_escape_at(text, i); byte >= 0) {
            out += static_cast<char>(byte);
            i += 2;
        } else {
            out += (text[i] == '+' && plus_is_space) ? ' ' : text[i];
        }
    }
    return out;
}

}  // namespace askfirst::classifiers
