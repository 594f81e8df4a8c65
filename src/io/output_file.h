// `-o FILE`: where a command's output goes, and how it gets there without ever losing or corrupting a
// file.
//   "-"                      standard output
//   a regular file, or a new name
//                            written to a temporary file beside it, renamed into place only once every
//                            byte is written; on any failure the temporary is removed and the old file
//                            is left as it was
//   a symbolic link          followed (through any chain of links) to its target, which is then written
//                            as above, so the link stays a link and its target gets the new content
//   a device, FIFO, socket   opened and written directly: it cannot be replaced and must not be
//                            (`-o /dev/null` as root must not replace the device node)
//   a directory              an error
// Every failure is a WriteError that names the file and the system's reason.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace maskviz::io {

void write_output(const std::string& path, const std::function<void(std::ostream&)>& produce);

// The file a chain of symbolic links ends at (which need not exist yet); `path` itself if it is not a
// link. Relative targets are taken from the link's own directory, as the kernel does.
std::string resolve_links(const std::string& path);

}  // namespace maskviz::io
