/* libjpeg (libjpeg-turbo's libjpeg62 API). jpeglib.h needs size_t and FILE declared first. */
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
