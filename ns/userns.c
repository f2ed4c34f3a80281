#include "userns.h"

#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kfile.h"

uint32_t userns_outside_id(uint32_t id)
{
        return id == 0 ? 65534 : id;
}

int userns_write_maps(pid_t pid, uint32_t in_uid, uint32_t out_uid, uint32_t in_gid,
                      uint32_t out_gid)
{
        char path[64], map[64];

        snprintf(map, sizeof map, "%u %u 1\n", in_uid, out_uid);
        snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
        if (kfile_write_at(AT_FDCWD, path, map) < 0)
                return -1;
        if (geteuid() != 0) {
                snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
                if (kfile_write_at(AT_FDCWD, path, "deny") < 0)
                        return -1;
        }
        snprintf(map, sizeof map, "%u %u 1\n", in_gid, out_gid);
        snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
        return kfile_write_at(AT_FDCWD, path, map);
}

int userns_become_root(bool drop_groups)
{
        if (setresgid(0, 0, 0) < 0 || (drop_groups && setgroups(0, NULL) < 0) ||
            setresuid(0, 0, 0) < 0)
                return -1;
        return 0;
}
