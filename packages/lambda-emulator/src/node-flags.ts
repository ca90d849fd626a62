/**
 * The Node.js flags AWS Lambda's Node.js runtime starts a function's process with, for its memory size,
 * so that a local instance has the same heap limits as the deployed function.
 *
 * Source: the runtime's `/var/runtime/bootstrap` in AWS's Node.js base images (the layers published in
 * github.com/aws/aws-lambda-base-images, `public.ecr.aws/lambda/nodejs`), as `cat` prints it in the
 * nodejs14.x and nodejs18.x images:
 *
 *   if [ -n "$AWS_LAMBDA_FUNCTION_MEMORY_SIZE" ]; then
 *     new_space=$(expr $AWS_LAMBDA_FUNCTION_MEMORY_SIZE / 10)
 *     semi_space=$(expr $new_space / 2)
 *     old_space=$(expr $AWS_LAMBDA_FUNCTION_MEMORY_SIZE - $new_space)
 *     MEMORY_ARGS=("--max-semi-space-size=$semi_space" "--max-old-space-size=$old_space")
 *   fi
 *   NODE_ARGS=(--expose-gc --max-http-header-size 81920 "${MEMORY_ARGS[@]}" /var/runtime/index.mjs)
 *
 * (`expr` divides integers, as `Math.floor` does here.) The same script in the nodejs20.x–24.x images
 * was not read for this; the flags are taken to be unchanged there.
 */
export function lambdaNodeFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  const semiSpace = Math.floor(newSpace / 2);
  return [
    '--expose-gc',
    '--max-http-header-size=81920',
    `--max-semi-space-size=${semiSpace}`,
    `--max-old-space-size=${memoryMb - newSpace}`,
  ];
}
