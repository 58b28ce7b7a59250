#pragma once
// A strict well-formedness check of the HTML and SVG healthctl writes: it
// must parse as XML (a doctype, then elements each closed or self-closed,
// attributes quoted and unique, text and attributes with no bare < or &, only
// known character references), and no coordinate may be nan or inf. The report is written so that it does.

#include <cctype>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace test {

struct XmlCheck {
  std::vector<std::string> problems;  // empty: well formed
  std::map<std::string, int> elements; // how many of each element
  std::string text;                    // the text content, references decoded roughly
};

namespace xml_detail {

inline bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == ':' || c == '.';
}

// Checks the character data `data` (text or an attribute's value).
inline void check_data(XmlCheck& check, std::string_view data, std::string& text_out) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '<') check.problems.push_back("bare < in \"" + std::string(data.substr(0, 40)) + "\"");
    if (data[i] != '&') {
      text_out += data[i];
      continue;
    }
    const auto end = data.find(';', i);
    const std::string_view ref = end == std::string_view::npos ? data.substr(i) : data.substr(i + 1, end - i - 1);
    const bool known = ref == "amp" || ref == "lt" || ref == "gt" || ref == "quot" || ref == "apos" ||
                       (ref.size() > 1 && ref[0] == '#' &&
                        ref.find_first_not_of(ref[1] == 'x' ? "0123456789abcdefABCDEF" : "0123456789", ref[1] == 'x' ? 2 : 1) ==
                            std::string_view::npos);
    if (end == std::string_view::npos || !known) {
      check.problems.push_back("bad character reference &" + std::string(ref.substr(0, 12)));
      return;
    }
    text_out += ref == "lt" ? "<" : ref == "gt" ? ">" : ref == "quot" ? "\"" : ref == "amp" ? "&" : "'";
    i = end;
  }
}

// Parses the attributes of a start tag, `body` being what follows its name.
inline void check_attributes(XmlCheck& check, std::string_view body, const std::string& tag) {
  std::vector<std::string> seen;
  std::size_t i = 0;
  std::string ignored;
  while (i < body.size()) {
    if (std::isspace(static_cast<unsigned char>(body[i])) != 0) { ++i; continue; }
    std::size_t name_end = i;
    while (name_end < body.size() && name_char(body[name_end])) ++name_end;
    const std::string name(body.substr(i, name_end - i));
    if (name.empty() || name_end + 1 >= body.size() || body[name_end] != '=' ||
        (body[name_end + 1] != '"' && body[name_end + 1] != '\'')) {
      check.problems.push_back("<" + tag + ">: an attribute that is not name=\"value\" near \"" +
                               std::string(body.substr(i, 30)) + "\"");
      return;
    }
    for (const auto& other : seen)
      if (other == name) check.problems.push_back("<" + tag + ">: attribute " + name + " twice");
    seen.push_back(name);
    const char quote = body[name_end + 1];
    const auto close = body.find(quote, name_end + 2);
    if (close == std::string_view::npos) {
      check.problems.push_back("<" + tag + ">: unterminated attribute " + name);
      return;
    }
    const auto value = body.substr(name_end + 2, close - name_end - 2);
    check_data(check, value, ignored);
    // A coordinate that is not a number draws nothing, or everything.
    static constexpr std::string_view k_geometry[] = {"x", "y", "x1", "x2", "y1", "y2", "cx", "cy",
                                                      "width", "height", "d", "viewBox"};
    for (const auto geometry : k_geometry)
      if (name == geometry && (value.find("nan") != std::string_view::npos || value.find("inf") != std::string_view::npos))
        check.problems.push_back("<" + tag + ">: " + name + "=\"" + std::string(value.substr(0, 40)) + "\" is not a number");
    i = close + 1;
  }
}

} // namespace xml_detail

inline XmlCheck check_xml(std::string_view doc) {
  XmlCheck check;
  std::vector<std::string> open;
  std::size_t i = 0;
  if (doc.substr(0, 9) == "<!DOCTYPE") i = doc.find('>') + 1;
  while (i < doc.size()) {
    const auto lt = doc.find('<', i);
    xml_detail::check_data(check, doc.substr(i, lt == std::string_view::npos ? std::string_view::npos : lt - i), check.text);
    if (lt == std::string_view::npos) break;
    if (doc.substr(lt, 4) == "<!--") {
      i = doc.find("-->", lt) + 3;
      continue;
    }
    const auto gt = doc.find('>', lt);
    if (gt == std::string_view::npos) {
      check.problems.push_back("unterminated tag at " + std::to_string(lt));
      break;
    }
    std::string_view tag = doc.substr(lt + 1, gt - lt - 1);
    if (!tag.empty() && tag[0] == '/') {
      const std::string name(tag.substr(1));
      if (open.empty() || open.back() != name)
        check.problems.push_back("</" + name + "> closes <" + (open.empty() ? std::string() : open.back()) + ">");
      else
        open.pop_back();
    } else {
      const bool self_closing = !tag.empty() && tag.back() == '/';
      if (self_closing) tag.remove_suffix(1);
      std::size_t name_end = 0;
      while (name_end < tag.size() && xml_detail::name_char(tag[name_end])) ++name_end;
      const std::string name(tag.substr(0, name_end));
      if (name.empty()) check.problems.push_back("a tag without a name at " + std::to_string(lt));
      xml_detail::check_attributes(check, tag.substr(name_end), name);
      ++check.elements[name];
      if (!self_closing) open.push_back(name);
    }
    i = gt + 1;
  }
  for (const auto& name : open) check.problems.push_back("<" + name + "> never closed");
  return check;
}

} // namespace test
