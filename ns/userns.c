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

int userns_write_maps(pid_t pid, uint32_t uid, uint32_t gid)
{
        char path[64], map[64];

        snprintf(map, sizeof map, "0 %u 1\n", uid);
        snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
        if (kfile_write_at(AT_FDCWD, path, map) < 0)
                return -1;
        snprintf(map, sizeof map, "0 %u 1\n", gid);
        snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
        return kfile_write_at(AT_FDCWD, path, map);
}

int userns_become_root(void)
{
        if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
                return -1;
        return 0;
}
