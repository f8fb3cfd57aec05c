import { PageHeader } from "../ui";

export default function Jobs() {
  return <PageHeader title="Jobs" description="Coming with this issue." />;
}
